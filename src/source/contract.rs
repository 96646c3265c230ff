//! The view contract: the columns `cases.cases_query`, `cases.extensions_query`,
//! `cases.suspensions_query` and `cases.returns_query` must return ([`CASES`], [`EXTENSIONS`],
//! [`SUSPENSIONS`], [`RETURNS`]), the check
//! of what a query returns against it, and the SQL that wraps a configured query to read it in
//! either dialect. No I/O here.

/// What a contract column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text (`text`, `varchar`, `char`).
    Text,
    /// A calendar date (`date`).
    Date,
    /// A whole number (`integer`, `smallint`, `bigint`).
    Days,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::Text => "text (TEXT, VARCHAR, CHAR)",
            Kind::Date => "a date (DATE)",
            Kind::Days => "a whole number (INTEGER, SMALLINT, BIGINT)",
        }
    }
}

/// One column of the view contract.
#[derive(Debug, Clone, Copy)]
pub struct ContractColumn {
    /// Its name in the query's result.
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
    /// Whether the query must return it (an optional one may be left out: it reads as NULL).
    pub required: bool,
    /// What it holds.
    pub meaning: &'static str,
}

const fn col(
    name: &'static str,
    kind: Kind,
    required: bool,
    meaning: &'static str,
) -> ContractColumn {
    ContractColumn {
        name,
        kind,
        required,
        meaning,
    }
}

/// The columns of `cases.cases_query`, one row per case.
pub const CASES: &[ContractColumn] = &[
    col(
        "reference",
        Kind::Text,
        true,
        "the unique reference, e.g. 2026-0042",
    ),
    col(
        "received_on",
        Kind::Date,
        true,
        "the day the office received the request",
    ),
    col(
        "forwarded_on",
        Kind::Date,
        true,
        "the day the office forwarded it to a section (NULL: not yet)",
    ),
    col(
        "section",
        Kind::Text,
        true,
        "the section's code or name in [[sections]] (NULL until forwarded)",
    ),
    col(
        "replied_on",
        Kind::Date,
        true,
        "the day the section answered (NULL: not yet)",
    ),
    col(
        "closed_on",
        Kind::Date,
        true,
        "the day it was closed by other means (NULL: not closed)",
    ),
    col(
        "subject",
        Kind::Text,
        false,
        "what is asked (no applicant data)",
    ),
    col(
        "channel",
        Kind::Text,
        false,
        "in_person, mail, online, fax (当面, 信函, 网络, 传真)",
    ),
    col(
        "close_reason",
        Kind::Text,
        false,
        "withdrawn, merged, answered_on_spot (撤回, 合并, 当场答复)",
    ),
    col(
        "outcome",
        Kind::Text,
        false,
        "how it ended, for the annual report: a code or Chinese name of a row of table 3 \
         (disclosed, 予以公开, withheld.state_secret, 不予公开：属于国家秘密, …); NULL while open",
    ),
    col(
        "applicant",
        Kind::Text,
        false,
        "who asked: natural_person, business, research, public_interest, legal_service, \
         other_organisation (自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他)",
    ),
];

/// The columns of `cases.extensions_query`, one row per extension (art. 20).
pub const EXTENSIONS: &[ContractColumn] = &[
    col("reference", Kind::Text, true, "the case's reference"),
    col("days", Kind::Days, true, "working days granted (>= 1)"),
    col(
        "approved_on",
        Kind::Date,
        true,
        "the day the leadership approved it",
    ),
    col("approved_by", Kind::Text, true, "who approved it"),
    col("reason", Kind::Text, false, "why"),
    col(
        "notice_on",
        Kind::Date,
        false,
        "the day the written notice went to the applicant",
    ),
];

/// The columns of `cases.suspensions_query`, one row per suspension (art. 21).
pub const SUSPENSIONS: &[ContractColumn] = &[
    col("reference", Kind::Text, true, "the case's reference"),
    col(
        "from_on",
        Kind::Date,
        true,
        "the first day the clock stands still",
    ),
    col(
        "until_on",
        Kind::Date,
        true,
        "the day the clock runs again (it counts; NULL: still suspended)",
    ),
    col(
        "reason",
        Kind::Text,
        true,
        "force_majeure, third_party, correction, other (不可抗力, 第三方, 补正, 其他)",
    ),
    col("note", Kind::Text, false, "a note"),
    col(
        "notice_on",
        Kind::Date,
        false,
        "the day the written notice of the suspension went out",
    ),
    col(
        "resumption_notice_on",
        Kind::Date,
        false,
        "the day the written notice of the resumption went out",
    ),
];

/// The columns of `cases.returns_query` (optional), one row per return (退回): a forwarding a
/// section undid by giving the case back as not its own, before the office forwarded it again.
pub const RETURNS: &[ContractColumn] = &[
    col("reference", Kind::Text, true, "the case's reference"),
    col(
        "returned_on",
        Kind::Date,
        true,
        "the day the section gave it back",
    ),
    col(
        "section",
        Kind::Text,
        true,
        "the section that gave it back: its code or name in [[sections]]",
    ),
    col(
        "forwarded_on",
        Kind::Date,
        true,
        "the day the case had been forwarded to that section",
    ),
    col("reason", Kind::Text, false, "why it was not that section's"),
];

/// The two dialects: how a query is wrapped, cast and bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    MySql,
}

impl Dialect {
    pub(super) fn quote(self, name: &str) -> String {
        match self {
            Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
            Dialect::MySql => format!("`{}`", name.replace('`', "``")),
        }
    }

    pub(super) fn cast(self, kind: Kind) -> &'static str {
        match (self, kind) {
            (Dialect::Postgres, Kind::Text) => "TEXT",
            (Dialect::MySql, Kind::Text) => "CHAR",
            (_, Kind::Date) => "DATE",
            (Dialect::Postgres, Kind::Days) => "BIGINT",
            (Dialect::MySql, Kind::Days) => "SIGNED",
        }
    }

    pub(super) fn param(self, n: usize) -> String {
        match self {
            Dialect::Postgres => format!("${n}"),
            Dialect::MySql => "?".to_owned(),
        }
    }

    /// Whether a column of this type can be read as `kind`.
    pub(super) fn accepts(self, kind: Kind, type_name: &str) -> bool {
        let t = type_name.to_ascii_uppercase();
        let t = t.trim_end_matches(" UNSIGNED");
        if self == Dialect::MySql && t == "NULL" {
            return true;
        }
        match kind {
            Kind::Text => matches!(
                t,
                "TEXT"
                    | "VARCHAR"
                    | "BPCHAR"
                    | "CHAR"
                    | "NAME"
                    | "CITEXT"
                    | "TINYTEXT"
                    | "MEDIUMTEXT"
                    | "LONGTEXT"
                    | "ENUM"
                    | "UNKNOWN"
            ),
            Kind::Date => t == "DATE",
            Kind::Days => matches!(
                t,
                "INT2"
                    | "INT4"
                    | "INT8"
                    | "SMALLINT"
                    | "INTEGER"
                    | "INT"
                    | "BIGINT"
                    | "TINYINT"
                    | "MEDIUMINT"
            ),
        }
    }
}

/// A query from the config without a trailing `;`, ready to wrap as a subquery.
pub(super) fn trimmed(query: &str) -> &str {
    query.trim().trim_end_matches(';').trim_end()
}

/// Checks one configured query's result columns against `contract`; returns each contract
/// column's name in the result (`None`: an optional column left out), or every problem found.
pub(super) fn check_columns(
    key: &str,
    dialect: Dialect,
    found: &[(String, String)],
    contract: &[ContractColumn],
) -> Result<Vec<Option<String>>, Vec<String>> {
    let mut problems = Vec::new();
    let mut names = Vec::new();
    for c in contract {
        let hit = found
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(c.name));
        match hit {
            None if c.required => {
                problems.push(format!(
                    "{key}: column {} is missing: {} ({}); name a column of the result \
                     \"AS {}\"",
                    c.name,
                    c.meaning,
                    c.kind.describe(),
                    c.name
                ));
                names.push(None);
            }
            None => names.push(None),
            Some((name, type_name)) if !dialect.accepts(c.kind, type_name) => {
                problems.push(format!(
                    "{key}: column {} is {type_name}, but it must be {}; convert it in the \
                     query, e.g. CAST(… AS {})",
                    c.name,
                    c.kind.describe(),
                    match (dialect, c.kind) {
                        (Dialect::MySql, Kind::Text) => "CHAR",
                        (Dialect::MySql, Kind::Days) => "SIGNED",
                        (_, Kind::Text) => "TEXT",
                        (_, Kind::Date) => "DATE",
                        (_, Kind::Days) => "INTEGER",
                    }
                ));
                names.push(None);
            }
            Some((name, _)) => names.push(Some(name.clone())),
        }
    }
    if problems.is_empty() {
        Ok(names)
    } else {
        Err(problems)
    }
}

/// `SELECT <contract columns, cast> FROM (query) q`.
pub(super) fn select_list(
    dialect: Dialect,
    query: &str,
    contract: &[ContractColumn],
    names: &[Option<String>],
) -> String {
    let list: Vec<String> = contract
        .iter()
        .zip(names)
        .map(|(c, name)| {
            let value = name
                .as_ref()
                .map_or_else(|| "NULL".to_owned(), |n| format!("q.{}", dialect.quote(n)));
            format!(
                "CAST({value} AS {}) AS {}",
                dialect.cast(c.kind),
                dialect.quote(c.name)
            )
        })
        .collect();
    format!("SELECT {} FROM ({}) q", list.join(", "), trimmed(query))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(columns: &[(&str, &str)]) -> Vec<(String, String)> {
        columns
            .iter()
            .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
            .collect()
    }

    #[test]
    fn a_missing_and_a_mistyped_column_are_both_named_with_the_key() {
        let columns = found(&[
            ("reference", "VARCHAR"),
            ("received_on", "TEXT"),
            ("forwarded_on", "DATE"),
            ("section", "TEXT"),
            ("replied_on", "DATE"),
        ]);
        let problems = check_columns("cases.cases_query", Dialect::Postgres, &columns, CASES)
            .expect_err("closed_on is missing and received_on is text");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].starts_with(
                "cases.cases_query: column received_on is TEXT, but it must be a date"
            ),
            "{}",
            problems[0]
        );
        assert!(
            problems[1].starts_with("cases.cases_query: column closed_on is missing"),
            "{}",
            problems[1]
        );
    }

    #[test]
    fn optional_columns_may_be_left_out_and_names_match_without_case() {
        let columns = found(&[
            ("REFERENCE", "VARCHAR"),
            ("received_on", "DATE"),
            ("forwarded_on", "DATE"),
            ("section", "CHAR"),
            ("replied_on", "NULL"),
            ("closed_on", "DATE"),
        ]);
        let names = check_columns("cases.cases_query", Dialect::MySql, &columns, CASES)
            .expect("the required columns are there");
        assert_eq!(names[0].as_deref(), Some("REFERENCE"));
        assert!(names[6..].iter().all(Option::is_none), "{names:?}");
        let sql = select_list(Dialect::MySql, "SELECT * FROM v;", CASES, &names);
        assert!(
            sql.starts_with("SELECT CAST(q.`REFERENCE` AS CHAR) AS `reference`"),
            "{sql}"
        );
        assert!(
            sql.ends_with("CAST(NULL AS CHAR) AS `applicant` FROM (SELECT * FROM v) q"),
            "{sql}"
        );
    }
}
