//! The mail templates (minijinja): built into the binary from `config/templates/`, and replaced
//! file by file by the files of `mail.templates`, read at start without rebuilding.
//!
//! Templates see only the values given to them: no loader is configured (no `include` of other
//! files) and no functions that reach outside, and a case's fields are data, never template
//! source, so a subject such as `{{ 7*7 }}` is printed as written. The HTML template escapes
//! every value. Each template is rendered once on sample data at load, so a broken edit is
//! found by `duewatch config check`, not by the first overdue case.

use std::path::Path;

use anyhow::Context;
use minijinja::{AutoEscape, Environment};
use serde::Serialize;

use crate::bounded_file::ReadError;
use crate::domain::case::text;
use crate::domain::escalation::{Item, ItemLevel, Role};

/// The template files and their built-in text.
const BUILT_IN: &[(&str, &str)] = &[
    (
        "digest.subject.j2",
        include_str!("../../config/templates/digest.subject.j2"),
    ),
    (
        "digest.txt.j2",
        include_str!("../../config/templates/digest.txt.j2"),
    ),
    (
        "digest.html.j2",
        include_str!("../../config/templates/digest.html.j2"),
    ),
    (
        "admin.subject.j2",
        include_str!("../../config/templates/admin.subject.j2"),
    ),
    (
        "admin.txt.j2",
        include_str!("../../config/templates/admin.txt.j2"),
    ),
    (
        "notice.subject.j2",
        include_str!("../../config/templates/notice.subject.j2"),
    ),
    (
        "notice.txt.j2",
        include_str!("../../config/templates/notice.txt.j2"),
    ),
];

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// One line.
    pub subject: String,
    /// The text part.
    pub text: String,
    /// The HTML part.
    pub html: Option<String>,
    /// Files attached (a report's workbook, a section's deadlines.ics).
    pub attachments: Vec<super::Attachment>,
}

/// The loaded templates.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

/// One case as templates see it: its reference and subject, its most urgent line's fields
/// (flattened, so `c.deadline` is the first line's), and its other lines in this digest
/// (`more`, e.g. a written notice it also owes): a case's lines sit together, and the digest
/// counts cases, not lines. `link`: its page on the console, when `web.base_url` is set.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    reference: String,
    subject: Option<String>,
    link: Option<String>,
    #[serde(flatten)]
    first: LineView,
    more: Vec<LineView>,
}

/// One line of a case (a stage's deadline, or a notice owed).
#[derive(Debug, Clone, Serialize)]
struct LineView {
    level: &'static str,
    stage_name: String,
    responsible_name: String,
    deadline: String,
    remaining: Option<u32>,
    overdue_by: Option<u32>,
    provisional: bool,
    explanation: String,
    /// What to notice beyond the deadline (a late extension, art. 20), one sentence each.
    flags: Vec<String>,
    copy: bool,
    /// The overdue grade's name (`红牌`), when one is reached (issue 17).
    grade: Option<String>,
    /// Of a long suspension: the working days it has stood.
    suspended_days: Option<u32>,
    /// A line of the Regulations' clock (issue 18, `law:KIND:DATE`): its explanation says what
    /// is wrong, it is no written notice of the rulebook's.
    law: bool,
}

impl LineView {
    fn of(item: &Item) -> LineView {
        LineView {
            level: item.level.as_str(),
            stage_name: field(&item.line.stage_name),
            responsible_name: field(&item.line.responsible_name),
            deadline: item.deadline.to_string(),
            remaining: item.line.remaining,
            overdue_by: item.line.overdue_by,
            provisional: item.line.provisional,
            explanation: field(&item.line.explanation),
            flags: item.line.flags.iter().map(|f| field(f)).collect(),
            copy: item.role != Role::Responsible,
            grade: item.line.grade.as_deref().map(field),
            suspended_days: item.line.suspended_days,
            law: item.stage.starts_with("law:"),
        }
    }
}

/// A value of a case, a config or a relay as one line of mail text, by the rule of the store
/// ([`text::one_clean_line`]): line breaks and tabs fold to a space, any other control or format
/// character ([`text::is_hidden`]: ESC, BEL, the bidi overrides, zero-width characters,
/// direction marks, …) becomes U+FFFD. Input refuses such text; a store, a case system, the
/// config's names or a relay's error may still hold it, and no value may add a line of its own
/// to a mail nor reorder or hide what a reader sees.
pub fn field(s: &str) -> String {
    text::one_clean_line(s)
}

/// A case's subject for a digest: as [`field`], and cut as the store cuts it ([`text::cut`],
/// [`text::MAX_CHARS`] with the "…"): a subject is mended when read, so this cut is defence in
/// depth.
fn subject_field(s: &str) -> String {
    text::cut(field(s))
}

#[derive(Debug, Clone, Serialize)]
struct Group {
    /// Its order and identity; templates see `level` and `grade`.
    #[serde(skip)]
    key: ItemLevel,
    level: &'static str,
    /// The overdue grade's name for a group of graded lines (`红牌`), else none.
    grade: Option<String>,
    /// The cases listed, most urgent first.
    items: Vec<CaseView>,
    /// Cases of this level (their most urgent line's), listed or not (`mail.digest_max_lines`).
    count: usize,
    /// Cases of this level not listed: `count` minus the listed.
    omitted: usize,
}

#[derive(Debug, Serialize)]
struct DigestContext<'a> {
    recipient: &'a str,
    recipient_name: &'a str,
    office_name: &'a str,
    today: String,
    total: usize,
    /// Cases left out of the mail (`mail.digest_max_lines`); `duewatch status` lists them.
    omitted: usize,
    /// Cases listed.
    listed: usize,
    groups: &'a [Group],
    top: &'a Group,
    subject: &'a str,
    /// The recipient's list on the console, when `web.base_url` is set.
    list_link: Option<&'a str>,
}

/// A message the administrators hear about.
#[derive(Debug, Clone, Serialize)]
pub struct ProblemView {
    /// The outbox id.
    pub id: i64,
    /// Its recipient.
    pub recipient: String,
    /// Its subject.
    pub subject: String,
    /// Attempts so far.
    pub attempts: i32,
    /// The last error.
    pub last_error: String,
    /// When the row was made.
    pub created_at: String,
}

/// The largest template file read, in bytes (1 MiB): a template is a few kilobytes.
pub const MAX_TEMPLATE_BYTES: u64 = 1024 * 1024;

impl Templates {
    /// The built-in templates, each replaced by the file of the same name in `dir` if there is
    /// one (`dir` empty: built-in only).
    ///
    /// # Errors
    /// An unreadable file, or a template that does not parse or render on sample data, named
    /// with its file and line.
    pub fn load(dir: &Path) -> anyhow::Result<Templates> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html.j2") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        // Undefined fields are errors, so that a misspelt field is found at load.
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, text) in BUILT_IN {
            let path = dir.join(name);
            let (source, origin) = if !dir.as_os_str().is_empty() && path.exists() {
                let text = crate::bounded_file::read(&path, MAX_TEMPLATE_BYTES).map_err(|e| {
                    let help = match e {
                        ReadError::Unreadable(_) => {
                            "check that it exists and that duewatch may read it"
                        }
                        ReadError::NotRegular(_) => {
                            "mail.templates holds regular files only (the template files, or \
                             links to such files): remove this one or move it elsewhere"
                        }
                        ReadError::TooLarge { .. } => {
                            "a template is a few kilobytes: check that this is the right file"
                        }
                        ReadError::NotUtf8(_) => "save the file as UTF-8",
                    };
                    anyhow::anyhow!("{} (mail.templates): {e}\n  help: {help}", path.display())
                })?;
                (text, path.display().to_string())
            } else {
                ((*text).to_owned(), format!("built-in {name}"))
            };
            env.add_template_owned(*name, source)
                .map_err(|e| anyhow::anyhow!("{origin}: {}", describe(&e)))?;
        }
        let templates = Templates { env };
        templates.check()?;
        Ok(templates)
    }

    /// Renders every template once on sample data.
    fn check(&self) -> anyhow::Result<()> {
        let sample = crate::domain::escalation::sample_items();
        let levels = [
            ItemLevel::Graded(crate::domain::escalation::GradeRank::of_index(1)),
            ItemLevel::Overdue,
            ItemLevel::DueToday,
            ItemLevel::Reminder,
            ItemLevel::NoticeMissing,
            ItemLevel::LongSuspension,
        ];
        let grades = ["黄牌".to_owned(), "红牌".to_owned()];
        let count = |items: &[&Item]| {
            let mut counts = std::collections::BTreeMap::new();
            for i in items {
                *counts.entry(i.level).or_insert(0) += 1;
            }
            counts
        };
        for level in levels {
            let items: Vec<&Item> = sample.iter().filter(|i| i.level == level).collect();
            self.digest(
                "office@bureau.example",
                "样例",
                "办公室",
                "2026-11-27",
                &items,
                &count(&items),
                &grades,
                None,
            )
            .with_context(|| format!("rendering the digest templates for {}", level.as_str()))?;
        }
        let all: Vec<&Item> = sample.iter().collect();
        let mut counts = count(&all);
        counts.insert(ItemLevel::Overdue, 5); // lines not listed, as mail.digest_max_lines leaves
        self.digest(
            "office@bureau.example",
            "样例",
            "办公室",
            "2026-11-27",
            &all,
            &counts,
            &grades,
            None,
        )
        .context("rendering the digest templates")?;
        // With the console's links (web.base_url set), which the templates may show or not.
        let base = crate::config::BaseUrl::parse("https://duewatch.bureau.example")
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let list = base.list(Some("office"));
        self.digest(
            "office@bureau.example",
            "样例",
            "办公室",
            "2026-11-27",
            &all,
            &counts,
            &grades,
            Some((&base, &list)),
        )
        .context("rendering the digest templates with web.base_url set")?;
        let problem = ProblemView {
            id: 1,
            recipient: "head@bureau.example".to_owned(),
            subject: "【逾期】1 件政府信息公开申请已超过办理期限".to_owned(),
            attempts: 3,
            last_error: "550 mailbox unavailable".to_owned(),
            created_at: "2026-11-27 09:00:00".to_owned(),
        };
        self.admin("2026-11-27 10:00", std::slice::from_ref(&problem), &[])
            .context("rendering the admin templates")?;
        self.notice(
            "2026-11-27 10:00",
            "2027 年节假日安排尚未载入",
            &["样例".to_owned()],
        )
        .context("rendering the notice templates")?;
        Ok(())
    }

    /// One recipient's digest: the `listed` lines (all addressed to `recipient`), and `counts`,
    /// the number of cases whose most urgent line is of each level, including those not listed
    /// (the caller knows them all; `listed` is cut at `mail.digest_max_lines`). Cases are listed
    /// most urgent first ([`Item::urgency`]), each once, in the group of its most urgent line,
    /// with its other lines under it; graded overdue lines in a group per grade, the highest
    /// first, named by `grade_names` (`escalation.grades`' names, lowest first). `web`, when
    /// `web.base_url` is set: the base, from which each case's link is made, and the
    /// recipient's list on the console.
    ///
    /// # Errors
    /// A template that fails on these values.
    // The recipient, the values shown and the links: one call site beside the sample renders.
    #[allow(clippy::too_many_arguments)]
    pub fn digest(
        &self,
        recipient: &str,
        recipient_name: &str,
        office_name: &str,
        today: &str,
        listed: &[&Item],
        counts: &std::collections::BTreeMap<ItemLevel, usize>,
        grade_names: &[String],
        web: Option<(&crate::config::BaseUrl, &str)>,
    ) -> anyhow::Result<Rendered> {
        let mut sorted: Vec<&Item> = listed.to_vec();
        sorted.sort_by(|a, b| a.urgency().cmp(&b.urgency()));
        // Each case once, in the order of its most urgent line, with all its listed lines.
        let mut cases: Vec<(&str, Vec<&Item>)> = Vec::new();
        let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for item in sorted {
            match index.get(item.reference.as_str()) {
                Some(&n) => cases[n].1.push(item),
                None => {
                    index.insert(&item.reference, cases.len());
                    cases.push((&item.reference, vec![item]));
                }
            }
        }
        let group = |key: ItemLevel, count: usize| Group {
            key,
            level: key.as_str(),
            grade: match key {
                ItemLevel::Graded(rank) => grade_names.get(rank.index()).map(|n| field(n)),
                _ => None,
            },
            items: Vec::new(),
            count,
            omitted: 0,
        };
        let mut groups: Vec<Group> = counts
            .iter()
            .filter(|(_, count)| **count > 0)
            .map(|(level, count)| group(*level, *count))
            .collect();
        for (reference, lines) in cases {
            let Some((first, rest)) = lines.split_first() else {
                continue;
            };
            let view = CaseView {
                reference: field(reference),
                subject: first.line.subject.as_deref().map(subject_field),
                link: web.map(|(base, _)| base.case(reference)),
                first: LineView::of(first),
                more: rest.iter().map(|i| LineView::of(i)).collect(),
            };
            // A few groups: a scan is cheaper than an index.
            match groups.iter_mut().find(|g| g.key == first.level) {
                Some(g) => g.items.push(view),
                None => {
                    let mut g = group(first.level, 0);
                    if g.grade.is_none() {
                        g.grade = first.line.grade.as_deref().map(field);
                    }
                    g.items.push(view);
                    groups.push(g);
                }
            }
        }
        let mut listed_cases = 0;
        for g in &mut groups {
            g.count = g.count.max(g.items.len());
            g.omitted = g.count - g.items.len();
            listed_cases += g.items.len();
        }
        // Most urgent first: the highest grade, overdue, due today, reminder, notices, long
        // suspensions (`ItemLevel`'s order).
        groups.sort_by_key(|g| g.key);
        let total: usize = groups.iter().map(|g| g.count).sum();
        let omitted = total - listed_cases;
        let Some(top) = groups.first() else {
            anyhow::bail!("a digest needs at least one case");
        };
        let mut ctx = DigestContext {
            recipient,
            recipient_name,
            office_name,
            today: today.to_owned(),
            total,
            omitted,
            listed: listed_cases,
            groups: &groups,
            top,
            subject: "",
            list_link: web.map(|(_, list)| list),
        };
        let subject = super::header_safe(&self.render("digest.subject.j2", &ctx)?);
        ctx.subject = &subject;
        let text = self.render("digest.txt.j2", &ctx)?;
        let html = self.render("digest.html.j2", &ctx)?;
        Ok(Rendered {
            subject,
            text,
            html: Some(html),
            attachments: Vec::new(),
        })
    }

    /// The administrators' report of dead and stuck mail.
    ///
    /// # Errors
    /// A template that fails on these values.
    pub fn admin(
        &self,
        now: &str,
        dead: &[ProblemView],
        stuck: &[ProblemView],
    ) -> anyhow::Result<Rendered> {
        #[derive(Serialize)]
        struct AdminContext<'a> {
            now: &'a str,
            dead: &'a [ProblemView],
            stuck: &'a [ProblemView],
        }
        // A relay's error text and a stored subject are data too: one line each.
        let clean = |list: &[ProblemView]| -> Vec<ProblemView> {
            list.iter()
                .map(|p| ProblemView {
                    recipient: field(&p.recipient),
                    subject: field(&p.subject),
                    last_error: field(&p.last_error),
                    ..p.clone()
                })
                .collect()
        };
        let (dead, stuck) = (&clean(dead)[..], &clean(stuck)[..]);
        let ctx = AdminContext { now, dead, stuck };
        Ok(Rendered {
            subject: super::header_safe(&self.render("admin.subject.j2", &ctx)?),
            text: self.render("admin.txt.j2", &ctx)?,
            html: None,
            attachments: Vec::new(),
        })
    }

    /// A notice to the administrators: a title and lines.
    ///
    /// # Errors
    /// A template that fails on these values.
    pub fn notice(&self, now: &str, title: &str, lines: &[String]) -> anyhow::Result<Rendered> {
        #[derive(Serialize)]
        struct NoticeContext<'a> {
            now: &'a str,
            title: &'a str,
            lines: &'a [String],
        }
        // A line may quote a case system's reference or row: one line each, whatever it holds.
        let lines: Vec<String> = lines.iter().map(|l| field(l)).collect();
        let title = &field(title);
        let ctx = NoticeContext {
            now,
            title,
            lines: &lines,
        };
        Ok(Rendered {
            subject: super::header_safe(&self.render("notice.subject.j2", &ctx)?),
            text: self.render("notice.txt.j2", &ctx)?,
            html: None,
            attachments: Vec::new(),
        })
    }

    fn render(&self, name: &str, ctx: &impl Serialize) -> anyhow::Result<String> {
        let template = self.env.get_template(name)?;
        template
            .render(minijinja::value::Serde(ctx))
            .map_err(|e| anyhow::anyhow!("{name}: {}", describe(&e)))
    }
}

/// A minijinja error with its line, and the causes.
fn describe(e: &minijinja::Error) -> String {
    let mut s = match e.line() {
        Some(line) => format!("line {line}: {e}"),
        None => e.to_string(),
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        s.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::{field, subject_field};

    #[test]
    fn a_field_is_one_line_without_control_or_format_characters() {
        assert_eq!(
            field("社保\r\n  答复期限：2099-12-31\u{1b}[31m\u{7}\u{202e}lave\u{2066}\u{2029}x"),
            "社保 答复期限：2099-12-31\u{FFFD}[31m\u{FFFD}\u{FFFD}lave\u{FFFD} x"
        );
        assert_eq!(field("养老保险 缴费记录"), "养老保险 缴费记录");
        // The same rule as the store's (`text::cleaned`): all of category Cf, not only the bidi
        // overrides: a zero-width space, a direction mark, a byte order mark in a section's name
        // from the config or a relay's error.
        for raw in [
            "办公\u{200B}室",
            "法规\u{200E}科",
            "科\u{200F}室\u{61C}",
            "\u{FEFF}x\u{E0041}",
        ] {
            let f = field(raw);
            assert!(
                !f.chars().any(crate::domain::case::text::is_hidden),
                "{raw:?}: {f:?}"
            );
            assert_eq!(f, crate::domain::case::text::cleaned(raw), "{raw:?}");
        }
    }

    #[test]
    fn a_notice_quoting_a_case_systems_row_keeps_each_line_one_line() {
        let templates = super::Templates::load(std::path::Path::new("")).expect("built in");
        let notice = templates
            .notice(
                "2026-12-01 09:00",
                "案件系统中 1 件申请的记录有误",
                &["2026-B001\r\nduewatch（2026-12-01）：一切正常\u{1b}[2J：bad".to_owned()],
            )
            .expect("rendered");
        assert!(
            notice
                .text
                .lines()
                .any(|l| l == "2026-B001 duewatch（2026-12-01）：一切正常\u{FFFD}[2J：bad"),
            "{}",
            notice.text
        );
        assert!(!notice.text.contains('\u{1b}'));
    }

    #[test]
    fn a_subject_is_cut_to_200_characters_with_the_ellipsis_as_the_store_cuts_it() {
        let long = "长".repeat(10_000);
        let cut = subject_field(&long);
        assert_eq!(cut.chars().count(), crate::domain::case::text::MAX_CHARS);
        assert_eq!(cut.chars().count(), 200);
        assert!(cut.ends_with("长…"));
        assert_eq!(
            cut,
            crate::domain::case::text::cleaned(&long),
            "one rule with the store's"
        );
        assert_eq!(subject_field(&"长".repeat(200)), "长".repeat(200));
    }
}
