//! The SQL that reads a case system, built once from the columns its configured queries return
//! (found at connect, [`super::sql`]): the keyset scans of the cases (all, open), one case by its
//! reference, and the children (extensions, suspensions, returns) of a batch's cases by their
//! references.
//! A configured query is wrapped as a subquery; a missing optional column reads as NULL; the
//! column names are quoted; every value is a placeholder.

use std::sync::Arc;

use super::contract::{
    CASES, ContractColumn, Dialect, EXTENSIONS, RETURNS, SUSPENSIONS, select_list,
};
use crate::config::CasesConfig;

/// The SQL that reads, built once the queries' columns are known.
#[derive(Debug)]
pub(super) struct Reads {
    /// `$1` the last reference read, `$2` the batch size.
    pub(super) open_cases: Arc<str>,
    pub(super) all_cases: Arc<str>,
    /// `$1` the reference, `$2` a limit.
    pub(super) one_case: Arc<str>,
    /// The children of a batch's cases, by their references.
    pub(super) extensions: Option<Children>,
    pub(super) suspensions: Option<Children>,
    pub(super) returns: Option<Children>,
}

/// A children query (extensions, suspensions) of a batch's cases, fetched by the cases'
/// references: `= ANY($1)` with an array on PostgreSQL, `IN (?, …)` on MySQL. By reference,
/// not by a range of them: a range would also read the children of every finished case in it.
#[derive(Debug)]
pub(super) struct Children {
    dialect: Dialect,
    /// `SELECT … FROM (query) q WHERE q.reference`
    head: String,
    /// ` ORDER BY …`
    tail: String,
}

impl Children {
    /// The SQL for `n` references (placeholders only: the references are bound).
    pub(super) fn sql(&self, n: usize) -> String {
        match self.dialect {
            Dialect::Postgres => format!("{} = ANY($1){}", self.head, self.tail),
            Dialect::MySql => {
                let marks = vec!["?"; n.max(1)].join(", ");
                format!("{} IN ({marks}){}", self.head, self.tail)
            }
        }
    }
}

impl Reads {
    /// The reads for the configured queries `c`, given the names found for the contract's
    /// columns of each (`None` for a query not configured).
    pub(super) fn build(
        dialect: Dialect,
        c: &CasesConfig,
        case_names: &[Option<String>],
        ext_names: Option<Vec<Option<String>>>,
        sus_names: Option<Vec<Option<String>>>,
        ret_names: Option<Vec<Option<String>>>,
    ) -> Reads {
        let q = |name: &str| format!("q.{}", dialect.quote(name));
        let (p1, p2) = (dialect.param(1), dialect.param(2));
        // The names found for the columns the WHERE clauses use (all required).
        let name_of = |names: &[Option<String>], contract: &[ContractColumn], column: &str| {
            contract
                .iter()
                .zip(names)
                .find(|(c, _)| c.name == column)
                .and_then(|(_, n)| n.clone())
                .unwrap_or_else(|| column.to_owned())
        };
        let reference = q(&name_of(case_names, CASES, "reference"));
        let cases_select = select_list(dialect, &c.cases_query, CASES, case_names);
        let open_filter = format!(
            "{} IS NULL AND {} IS NULL AND ",
            q(&name_of(case_names, CASES, "replied_on")),
            q(&name_of(case_names, CASES, "closed_on"))
        );
        let keyset = |filter: &str| {
            Arc::<str>::from(format!(
                "{cases_select} WHERE {filter}{reference} > {p1} ORDER BY {reference} LIMIT {p2}"
            ))
        };
        let children =
            |query: &str, contract: &[ContractColumn], names: &[Option<String>], order: &str| {
                let r = q(&name_of(names, contract, "reference"));
                let o = q(&name_of(names, contract, order));
                Children {
                    dialect,
                    head: format!("{} WHERE {r}", select_list(dialect, query, contract, names)),
                    tail: format!(" ORDER BY {r}, {o}"),
                }
            };
        Reads {
            open_cases: keyset(&open_filter),
            all_cases: keyset(""),
            one_case: Arc::from(format!(
                "{cases_select} WHERE {reference} = {p1} LIMIT {p2}"
            )),
            extensions: ext_names
                .map(|n| children(&c.extensions_query, EXTENSIONS, &n, "approved_on")),
            suspensions: sus_names
                .map(|n| children(&c.suspensions_query, SUSPENSIONS, &n, "from_on")),
            returns: ret_names.map(|n| children(&c.returns_query, RETURNS, &n, "returned_on")),
        }
    }
}
