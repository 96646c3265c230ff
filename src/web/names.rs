//! The names the pages share: how a party is named and linked ([`party_view`]), the matrix's
//! columns ([`columns`]), and how a time is written ([`local_time`], [`as_of`]).

use chrono::NaiveDateTime;
use serde::Serialize;

use super::Console;
use super::board::{Board, Column};
use super::render;
use crate::domain::deadline::Responsible;

/// A party as the pages name it: its code in URLs (`office` or the section code), its name, and
/// a note when the config does not know it.
#[derive(Debug, Serialize)]
pub(crate) struct PartyView {
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) note: Option<&'static str>,
}

/// How the pages name `who` (the name as the report gives it: [`crate::output::party_name`]).
pub(crate) fn party_view(console: &Console, who: &Responsible) -> PartyView {
    let config = &console.ctx.config;
    let note = match who {
        Responsible::Section(code) if config.section(code).is_none() => {
            Some("配置中没有此科室：邮件发往办公室")
        }
        _ => None,
    };
    PartyView {
        code: who.as_str().to_owned(),
        name: crate::output::party_name(config, who),
        note,
    }
}

/// The columns as the templates name them.
pub(crate) fn columns() -> Vec<minijinja::Value> {
    Column::ALL
        .into_iter()
        .map(|c| {
            render::value(ColumnView {
                code: c.as_str(),
                title: c.title(),
            })
        })
        .collect()
}

#[derive(Serialize)]
struct ColumnView {
    code: &'static str,
    title: &'static str,
}

/// A local time as every page writes it: `YYYY-MM-DD HH:MM:SS`.
pub(crate) fn local_time(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// When the snapshot was built, [`local_time`], or `None` before the first.
pub(crate) fn as_of(board: &Board) -> Option<String> {
    board.built_at.map(local_time)
}
