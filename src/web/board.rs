//! The console's snapshot: every open case's current stage as of one moment, evaluated once,
//! sorted most urgent first, so that `/` counts and `/cases` filters it in memory instead of
//! evaluating 100,000 cases per request. What a row holds is what the list shows and filters on
//! (no explanation: the page's rows are read fresh for that); about 150 bytes a case.
//!
//! The matrix of `/` and `status --json` count the same things: a row's party is its current
//! stage's `responsible` (the office for the forward stage, the section for the reply stage),
//! its column its `level`, `suspended` and `notices_missing`.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime};

use crate::domain::case::Case;
use crate::domain::deadline::{self, Level, Responsible, Stage, State};
use crate::jobs::Context;

/// One open case in the snapshot.
#[derive(Debug, Clone)]
pub struct Row {
    /// The case reference.
    pub reference: Box<str>,
    /// What is asked (no applicant data).
    pub subject: Option<Box<str>>,
    /// The current stage (`None`: an open case with no stage to count, e.g. a date outside
    /// the calendar; listed, never counted).
    pub stage: Option<Stage>,
    /// Who must act: an index into [`Board::parties`].
    pub party: u16,
    /// The current stage's deadline (`None` while suspended).
    pub due: Option<NaiveDate>,
    /// Working days left (0 on the day).
    pub remaining: Option<u32>,
    /// Working days past the deadline.
    pub overdue_by: Option<u32>,
    /// The escalation level reached.
    pub level: Option<Level>,
    /// The deadline rests on a year the calendar does not cover.
    pub provisional: bool,
    /// An open suspension stops the clock (art. 21).
    pub suspended: bool,
    /// Written notices owed and not recorded (arts. 20, 21).
    pub notices_missing: u16,
    /// The law's deadline (Regulations art. 33; `None` while a correction or a consultation
    /// stops it).
    pub statutory_due: Option<NaiveDate>,
    /// Whether the law's clock finds a fault (the rulebook's deadline past its own, …).
    pub statutory_fault: bool,
}

/// What `/` and `/cases` count and filter: a column of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// Past the deadline.
    Overdue,
    /// The deadline is today.
    DueToday,
    /// Within `reminder_at` working days (the reminder level).
    Reminder,
    /// Due from today to this week's Sunday, not overdue.
    Week,
    /// The clock stands still.
    Suspended,
    /// A written notice owed and not recorded.
    NoticeMissing,
}

impl Column {
    /// Every column, in the matrix's order.
    pub const ALL: [Column; 6] = [
        Column::Overdue,
        Column::DueToday,
        Column::Reminder,
        Column::Week,
        Column::Suspended,
        Column::NoticeMissing,
    ];

    /// The name in URLs (`level=`).
    pub fn as_str(self) -> &'static str {
        match self {
            Column::Overdue => "overdue",
            Column::DueToday => "due_today",
            Column::Reminder => "reminder",
            Column::Week => "week",
            Column::Suspended => "suspended",
            Column::NoticeMissing => "notice_missing",
        }
    }

    /// The heading on the page.
    pub fn title(self) -> &'static str {
        match self {
            Column::Overdue => "已逾期",
            Column::DueToday => "今日到期",
            Column::Reminder => "即将到期",
            Column::Week => "本周到期",
            Column::Suspended => "已中止",
            Column::NoticeMissing => "书面告知未登记",
        }
    }

    /// Parses the URL name.
    pub fn parse(text: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// Every open case's current stage as of [`Board::built_at`].
#[derive(Debug)]
pub struct Board {
    /// Local time the snapshot was taken (`None`: never built).
    pub built_at: Option<NaiveDateTime>,
    /// The day its levels are of.
    pub today: NaiveDate,
    /// The last day of today's week (Sunday): `week` counts deadlines up to it.
    pub week_end: NaiveDate,
    /// Who acts: the office first, then the configured sections in config order, then section
    /// codes the cases name that the config does not (their mail goes to the office).
    pub parties: Vec<Responsible>,
    /// The open cases, most urgent first.
    pub rows: Vec<Row>,
    /// Open cases that could not be read or evaluated (named in the log and by `status`).
    pub unreadable: u64,
    /// Years the calendar does not cover that some deadline rests on.
    pub uncovered_years: BTreeSet<i32>,
    /// The console's count of polls when the snapshot was begun (set by the console).
    pub polls: u64,
}

impl Board {
    /// The snapshot before the first build.
    pub fn empty() -> Board {
        Board {
            built_at: None,
            today: NaiveDate::MIN,
            week_end: NaiveDate::MIN,
            parties: vec![Responsible::Office],
            rows: Vec::new(),
            unreadable: 0,
            uncovered_years: BTreeSet::new(),
            polls: 0,
        }
    }

    /// Whether it was built on `today`.
    pub fn is_of(&self, today: NaiveDate) -> bool {
        self.built_at.is_some() && self.today == today
    }

    /// Reads and evaluates every open case as of local time `now`.
    ///
    /// # Errors
    /// The source cannot be read.
    pub async fn build(ctx: &Context, now: NaiveDateTime) -> anyhow::Result<Board> {
        let today = now.date();
        let calendar = ctx.calendar();
        let config = &ctx.config;
        let mut parties = vec![Responsible::Office];
        parties.extend(
            config
                .sections
                .iter()
                .map(|s| Responsible::Section(s.code.clone())),
        );
        let mut board = Board {
            built_at: Some(now),
            today,
            week_end: today
                .checked_add_days(Days::new(u64::from(
                    6 - today.weekday().num_days_from_monday(),
                )))
                .unwrap_or(today),
            parties,
            rows: Vec::new(),
            unreadable: 0,
            uncovered_years: BTreeSet::new(),
            polls: 0,
        };
        let mut cursor = ctx.source.cursor(true).await?;
        while let Some(batch) = cursor.next_batch().await? {
            for case in batch {
                match case {
                    Ok(case) => match deadline::evaluate(&case, &config.rules, &calendar, today) {
                        Ok(status) => board.add(&case, &status),
                        Err(_) => board.unreadable += 1,
                    },
                    Err(_) => board.unreadable += 1,
                }
            }
        }
        cursor.finish().await?;
        board.rows.sort_by(|a, b| {
            urgency(a)
                .cmp(&urgency(b))
                .then_with(|| a.reference.cmp(&b.reference))
        });
        board.rows.shrink_to_fit();
        Ok(board)
    }

    fn add(&mut self, case: &Case, status: &deadline::CaseStatus) {
        let stage = status
            .current
            .and_then(|c| status.stages.iter().find(|s| s.stage == c));
        let party = stage.map_or(0, |s| self.party_index(&s.responsible));
        if let Some(year) = stage.and_then(|s| s.uncovered_year) {
            self.uncovered_years.insert(year);
        }
        let missing = status.notices.iter().filter(|n| n.missing).count();
        self.rows.push(Row {
            reference: case.reference.as_str().into(),
            subject: case.subject.as_ref().map(|s| s.as_str().into()),
            stage: stage.map(|s| s.stage),
            party,
            due: stage.and_then(|s| s.due),
            remaining: stage.and_then(|s| s.remaining),
            overdue_by: stage.and_then(|s| s.overdue_by),
            level: stage.and_then(|s| s.level),
            provisional: stage.is_some_and(|s| s.provisional),
            suspended: stage.is_some_and(|s| matches!(s.state, State::Suspended { .. })),
            notices_missing: u16::try_from(missing).unwrap_or(u16::MAX),
            statutory_due: status.statutory.as_ref().and_then(|l| l.due),
            statutory_fault: status
                .statutory
                .as_ref()
                .is_some_and(|l| !l.faults.is_empty()),
        });
    }

    fn party_index(&mut self, who: &Responsible) -> u16 {
        let at = match self.parties.iter().position(|p| p == who) {
            Some(at) => at,
            None => {
                self.parties.push(who.clone());
                self.parties.len() - 1
            }
        };
        u16::try_from(at).unwrap_or(u16::MAX)
    }

    /// The party of `row`.
    pub fn party(&self, row: &Row) -> &Responsible {
        self.parties
            .get(usize::from(row.party))
            .unwrap_or(&Responsible::Office)
    }

    /// Whether a viewer reading only section `scope`'s cases (`None`: every case) sees `row`:
    /// a section's rows are those of the cases forwarded to it (their reply stage).
    pub fn in_scope(&self, row: &Row, scope: Option<&crate::domain::case::SectionCode>) -> bool {
        scope.is_none_or(|code| matches!(self.party(row), Responsible::Section(c) if c == code))
    }

    /// Whether `row` counts in `column`.
    pub fn counts(&self, row: &Row, column: Column) -> bool {
        match column {
            Column::Overdue => row.level == Some(Level::Overdue),
            Column::DueToday => row.level == Some(Level::DueToday),
            Column::Reminder => row.level == Some(Level::Reminder),
            Column::Week => {
                row.level != Some(Level::Overdue)
                    && row
                        .due
                        .is_some_and(|d| d >= self.today && d <= self.week_end)
            }
            Column::Suspended => row.suspended,
            Column::NoticeMissing => row.notices_missing > 0,
        }
    }

    /// The matrix of `/`: per party (in [`Board::parties`]' order), the count of each column;
    /// and the totals.
    pub fn matrix(&self) -> (Vec<[u64; 6]>, [u64; 6]) {
        let mut per = vec![[0_u64; 6]; self.parties.len()];
        let mut total = [0_u64; 6];
        for row in &self.rows {
            if row.stage.is_none() {
                continue;
            }
            for (i, column) in Column::ALL.into_iter().enumerate() {
                if self.counts(row, column) {
                    if let Some(cells) = per.get_mut(usize::from(row.party)) {
                        cells[i] += 1;
                    }
                    total[i] += 1;
                }
            }
        }
        (per, total)
    }
}

/// Most urgent first: overdue by the most days, then today's, then by working days left;
/// suspended and uncountable cases last.
fn urgency(row: &Row) -> (u8, i64) {
    match (row.overdue_by, row.remaining) {
        (Some(by), _) => (0, -i64::from(by)),
        (None, Some(left)) => (1, i64::from(left)),
        (None, None) => (2, 0),
    }
}
