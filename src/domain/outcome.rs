//! How a request ended and who asked, as the annual report counts them (Regulations arts. 49–50;
//! the format of 国办公开办函〔2021〕30号, table 3 收到和处理政府信息公开申请情况): the leaf rows of
//! 三、本年度办理结果 ([`Outcome`]) and the applicant's columns ([`Applicant`]). A category, never
//! the applicant's personal data (arts. 6, 17).
//!
//! Each value has a stable code (`withheld.state_secret`, `natural_person`), which is what is
//! stored, and its name in the format, in Chinese (`属于国家秘密`, `自然人`). Both are accepted on
//! input ([`Outcome::parse`], [`Applicant::parse`]); any other text is refused, naming the codes.
//! Pure: text in, values out; no I/O.

use std::fmt;

use serde::{Serialize, Serializer};

/// A group of rows of 三、本年度办理结果, in the format's order: （一） to （六）.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutcomeGroup {
    /// （一）予以公开.
    Disclosed,
    /// （二）部分公开.
    PartlyDisclosed,
    /// （三）不予公开.
    Withheld,
    /// （四）无法提供.
    Unavailable,
    /// （五）不予处理.
    NotProcessed,
    /// （六）其他处理.
    Other,
}

impl OutcomeGroup {
    /// Every group, in the format's order.
    pub const ALL: [OutcomeGroup; 6] = [
        OutcomeGroup::Disclosed,
        OutcomeGroup::PartlyDisclosed,
        OutcomeGroup::Withheld,
        OutcomeGroup::Unavailable,
        OutcomeGroup::NotProcessed,
        OutcomeGroup::Other,
    ];

    /// The group's row label in the format, numbered: `（三）不予公开`.
    pub fn label(self) -> &'static str {
        match self {
            OutcomeGroup::Disclosed => "（一）予以公开",
            OutcomeGroup::PartlyDisclosed => {
                "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
            }
            OutcomeGroup::Withheld => "（三）不予公开",
            OutcomeGroup::Unavailable => "（四）无法提供",
            OutcomeGroup::NotProcessed => "（五）不予处理",
            OutcomeGroup::Other => "（六）其他处理",
        }
    }

    /// The group's name without its number: `不予公开`.
    pub fn name(self) -> &'static str {
        match self {
            OutcomeGroup::Disclosed => "予以公开",
            OutcomeGroup::PartlyDisclosed => "部分公开",
            OutcomeGroup::Withheld => "不予公开",
            OutcomeGroup::Unavailable => "无法提供",
            OutcomeGroup::NotProcessed => "不予处理",
            OutcomeGroup::Other => "其他处理",
        }
    }

    /// The group's leaves, in the format's order.
    pub fn outcomes(self) -> impl Iterator<Item = Outcome> {
        Outcome::ALL
            .iter()
            .copied()
            .filter(move |o| o.group() == self)
    }

    /// Whether the group is one row with no numbered leaves (（一）, （二）).
    pub fn is_leaf(self) -> bool {
        matches!(
            self,
            OutcomeGroup::Disclosed | OutcomeGroup::PartlyDisclosed
        )
    }
}

macro_rules! outcomes {
    ($($(#[$meta:meta])* $variant:ident = $code:literal, $group:ident, $zh:literal;)+) => {
        /// How a request was finished: a leaf row of 三、本年度办理结果 (the format's 21 leaves,
        /// in its order).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Outcome { $($(#[$meta])* $variant),+ }

        impl Outcome {
            /// Every outcome, in the format's row order.
            pub const ALL: &'static [Outcome] = &[$(Outcome::$variant),+];

            /// The stable code, as stored: `withheld.state_secret`.
            pub fn code(self) -> &'static str {
                match self { $(Outcome::$variant => $code),+ }
            }

            /// The group of rows it belongs to.
            pub fn group(self) -> OutcomeGroup {
                match self { $(Outcome::$variant => OutcomeGroup::$group),+ }
            }

            /// Its name in the format, without number or group: `属于国家秘密`.
            pub fn zh(self) -> &'static str {
                match self { $(Outcome::$variant => $zh),+ }
            }
        }
    };
}

outcomes! {
    /// （一）予以公开.
    Disclosed = "disclosed", Disclosed, "予以公开";
    /// （二）部分公开: where a request was split (区分处理), only this row counts it.
    PartlyDisclosed = "partly_disclosed", PartlyDisclosed, "部分公开";
    /// （三）1. 属于国家秘密 (Regulations art. 14).
    StateSecret = "withheld.state_secret", Withheld, "属于国家秘密";
    /// （三）2. 其他法律行政法规禁止公开 (art. 14).
    ProhibitedByLaw = "withheld.prohibited_by_law", Withheld, "其他法律行政法规禁止公开";
    /// （三）3. 危及"三安全一稳定" (art. 14).
    SecurityStability = "withheld.security_stability", Withheld, "危及\u{201c}三安全一稳定\u{201d}";
    /// （三）4. 保护第三方合法权益 (art. 15).
    ThirdPartyRights = "withheld.third_party_rights", Withheld, "保护第三方合法权益";
    /// （三）5. 属于三类内部事务信息 (art. 16).
    InternalAffairs = "withheld.internal_affairs", Withheld, "属于三类内部事务信息";
    /// （三）6. 属于四类过程性信息 (art. 16).
    ProcessInformation = "withheld.process_information", Withheld, "属于四类过程性信息";
    /// （三）7. 属于行政执法案卷 (art. 16).
    EnforcementFile = "withheld.enforcement_file", Withheld, "属于行政执法案卷";
    /// （三）8. 属于行政查询事项 (art. 36 (7)).
    InquiryMatter = "withheld.inquiry_matter", Withheld, "属于行政查询事项";
    /// （四）1. 本机关不掌握相关政府信息.
    NotHeld = "unavailable.not_held", Unavailable, "本机关不掌握相关政府信息";
    /// （四）2. 没有现成信息需要另行制作.
    NeedsCreating = "unavailable.needs_creating", Unavailable, "没有现成信息需要另行制作";
    /// （四）3. 补正后申请内容仍不明确.
    StillUnclear = "unavailable.still_unclear", Unavailable, "补正后申请内容仍不明确";
    /// （五）1. 信访举报投诉类申请.
    Petition = "not_processed.petition", NotProcessed, "信访举报投诉类申请";
    /// （五）2. 重复申请.
    Repeated = "not_processed.repeated", NotProcessed, "重复申请";
    /// （五）3. 要求提供公开出版物.
    Publication = "not_processed.publication", NotProcessed, "要求提供公开出版物";
    /// （五）4. 无正当理由大量反复申请.
    Excessive = "not_processed.excessive", NotProcessed, "无正当理由大量反复申请";
    /// （五）5. 要求行政机关确认或重新出具已获取信息.
    Confirmation = "not_processed.confirmation", NotProcessed, "要求行政机关确认或重新出具已获取信息";
    /// （六）1. 申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请.
    NoCorrection = "other.no_correction", Other, "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请";
    /// （六）2. 申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请.
    FeeUnpaid = "other.fee_unpaid", Other, "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请";
    /// （六）3. 其他.
    OtherHandling = "other.other", Other, "其他";
}

/// The separators accepted between a group's name and a leaf's: `不予公开：属于国家秘密`.
const SEPARATORS: [char; 5] = ['：', ':', '/', '-', '—'];

impl Outcome {
    /// The leaf's label in the format: `1.属于国家秘密` (numbered within its group), or the
    /// group's label for （一） and （二）.
    pub fn label(self) -> String {
        let group = self.group();
        if group.is_leaf() {
            return group.label().to_owned();
        }
        let n = group.outcomes().position(|o| o == self).unwrap_or(0) + 1;
        format!("{n}.{}", self.zh())
    }

    /// The full name: group and leaf, `不予公开：属于国家秘密` (the group's name alone for
    /// （一） and （二）).
    pub fn full_name(self) -> String {
        let group = self.group();
        if group.is_leaf() {
            group.name().to_owned()
        } else {
            format!("{}：{}", group.name(), self.zh())
        }
    }

    /// Parses a code (`withheld.state_secret`), the leaf's Chinese name (`属于国家秘密`, with or
    /// without its number `1.`), or group and leaf (`不予公开：属于国家秘密`; `:`, `/`, `-` also
    /// separate); surrounding spaces are ignored. 予以公开 and 部分公开 (also with the format's
    /// note in brackets) are their own leaves.
    ///
    /// # Errors
    /// Any other text, with what to give.
    pub fn parse(text: &str) -> Result<Outcome, String> {
        let t = text.trim();
        let found = Outcome::ALL.iter().copied().find(|o| {
            t == o.code() || matches_zh(t, *o) || {
                let group = o.group().name();
                t.strip_prefix(group)
                    .and_then(|rest| rest.strip_prefix(SEPARATORS))
                    .is_some_and(|leaf| matches_zh(leaf.trim(), *o))
            }
        });
        found.ok_or_else(|| {
            format!(
                "\"{}\" is not an outcome category\n  help: give a code or the Chinese name of a \
                 row of the annual report's table 3, e.g. disclosed (予以公开), \
                 withheld.state_secret (不予公开：属于国家秘密); `duewatch case outcome --help` \
                 and docs/reference.md list all {}",
                crate::domain::case::text::escaped(text, false),
                Outcome::ALL.len()
            )
        })
    }
}

/// Whether `t` is `o`'s Chinese name: the leaf's, numbered or not, or the single-row group's
/// with its label.
fn matches_zh(t: &str, o: Outcome) -> bool {
    let unnumbered = t
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start_matches(['.', '．', '、'])
        .trim();
    let zh = o.zh();
    // The quotes of 危及“三安全一稳定” may be typed as ASCII quotes.
    let plain = |s: &str| s.replace(['\u{201c}', '\u{201d}', '"'], "");
    let unnumbered_label = |label: &'static str| label.split_once('）').map_or(label, |(_, l)| l);
    plain(unnumbered) == plain(zh)
        || (o.group().is_leaf()
            && (t == o.group().label() || t == unnumbered_label(o.group().label())))
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Outcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

macro_rules! applicants {
    ($($(#[$meta:meta])* $variant:ident = $code:literal, $zh:literal;)+) => {
        /// Who asked, as the annual report's columns divide them: a category, no personal data.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Applicant { $($(#[$meta])* $variant),+ }

        impl Applicant {
            /// Every category, in the format's column order.
            pub const ALL: [Applicant; 6] = [$(Applicant::$variant),+];

            /// The stable code, as stored: `natural_person`.
            pub fn code(self) -> &'static str {
                match self { $(Applicant::$variant => $code),+ }
            }

            /// Its column header in the format: `自然人`, `商业企业`, … `其他`.
            pub fn zh(self) -> &'static str {
                match self { $(Applicant::$variant => $zh),+ }
            }
        }
    };
}

applicants! {
    /// 自然人.
    NaturalPerson = "natural_person", "自然人";
    /// 法人或其他组织：商业企业.
    Business = "business", "商业企业";
    /// 法人或其他组织：科研机构.
    Research = "research", "科研机构";
    /// 法人或其他组织：社会公益组织.
    PublicInterest = "public_interest", "社会公益组织";
    /// 法人或其他组织：法律服务机构.
    LegalService = "legal_service", "法律服务机构";
    /// 法人或其他组织：其他.
    OtherOrganisation = "other_organisation", "其他";
}

impl Applicant {
    /// Whether the category is one of 法人或其他组织 (every one but 自然人).
    pub fn is_organisation(self) -> bool {
        self != Applicant::NaturalPerson
    }

    /// The full name: `自然人`, `法人或其他组织：商业企业`.
    pub fn full_name(self) -> String {
        if self.is_organisation() {
            format!("法人或其他组织：{}", self.zh())
        } else {
            self.zh().to_owned()
        }
    }

    /// Parses a code (`natural_person`), the column's Chinese name (`自然人`, `商业企业`, … ;
    /// `其他` and `其他组织` for `other_organisation`), or it after `法人或其他组织` and a
    /// separator (`法人或其他组织：其他`); surrounding spaces are ignored.
    ///
    /// # Errors
    /// Any other text, with what to give.
    pub fn parse(text: &str) -> Result<Applicant, String> {
        let t = text.trim();
        let leaf = t
            .strip_prefix("法人或其他组织")
            .and_then(|rest| rest.strip_prefix(SEPARATORS))
            .map_or(t, str::trim);
        let found = Applicant::ALL.into_iter().find(|a| {
            t == a.code()
                || leaf == a.zh()
                || (*a == Applicant::OtherOrganisation && leaf == "其他组织")
        });
        found.ok_or_else(|| {
            format!(
                "\"{}\" is not an applicant category\n  help: give one of {}",
                crate::domain::case::text::escaped(text, false),
                Applicant::ALL
                    .iter()
                    .map(|a| format!("{} ({})", a.code(), a.zh()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    }
}

impl fmt::Display for Applicant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Applicant {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_has_twenty_one_outcomes_in_six_groups_in_its_order() {
        let per_group: Vec<usize> = OutcomeGroup::ALL
            .iter()
            .map(|g| g.outcomes().count())
            .collect();
        assert_eq!(per_group, [1, 1, 8, 3, 5, 3]);
        assert_eq!(Outcome::ALL.len(), 21);
        assert_eq!(Outcome::InquiryMatter.label(), "8.属于行政查询事项");
        assert_eq!(
            Outcome::Confirmation.label(),
            "5.要求行政机关确认或重新出具已获取信息"
        );
        assert_eq!(
            Outcome::PartlyDisclosed.label(),
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
        );
    }

    #[test]
    fn every_code_and_chinese_name_parses_back_to_its_outcome() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.code()), Ok(*o), "{}", o.code());
            assert_eq!(Outcome::parse(o.zh()), Ok(*o), "{}", o.zh());
            assert_eq!(Outcome::parse(&o.full_name()), Ok(*o), "{}", o.full_name());
            assert_eq!(Outcome::parse(&o.label()), Ok(*o), "{}", o.label());
        }
        assert_eq!(
            Outcome::parse(" 不予公开:属于国家秘密 "),
            Ok(Outcome::StateSecret)
        );
        assert_eq!(
            Outcome::parse("危及\"三安全一稳定\""),
            Ok(Outcome::SecurityStability)
        );
        assert_eq!(Outcome::parse("无法提供/重复申请").ok(), None);
    }

    #[test]
    fn an_unknown_outcome_is_refused_with_what_to_give() {
        let e = Outcome::parse("approved").expect_err("not a category");
        assert!(
            e.starts_with("\"approved\" is not an outcome category"),
            "{e}"
        );
        assert!(e.contains("help: give a code"), "{e}");
        assert!(
            Outcome::parse("不予公开").is_err(),
            "a group of 8 is no leaf"
        );
    }

    #[test]
    fn every_applicant_parses_by_code_and_chinese_name() {
        for a in Applicant::ALL {
            assert_eq!(Applicant::parse(a.code()), Ok(a));
            assert_eq!(Applicant::parse(a.zh()), Ok(a));
            assert_eq!(Applicant::parse(&a.full_name()), Ok(a));
        }
        assert_eq!(
            Applicant::parse("法人或其他组织:其他"),
            Ok(Applicant::OtherOrganisation)
        );
        let e = Applicant::parse("张三").expect_err("a name is no category");
        assert!(e.contains("natural_person (自然人)"), "{e}");
    }
}
