//! duewatch watches the deadlines of government information-disclosure requests.
//!
//! The rulebook (the bureau's 政务公开制度, arts. 19–21) gives each request two stages: the
//! office forwards it to the responsible section within 5 working days, the section answers
//! within 10, extensions of at most 15 working days need the leadership's consent, and force
//! majeure suspends the clock. `shared/domain.md` turns that into exact rules; this crate
//! implements them.
//!
//! Modules, and what each owns:
//! - [`calendar`]: working days, the holiday calendar files and their importer, and O(1)
//!   arithmetic over them (pure: no clock, no I/O but loading its files);
//! - [`case`]: a disclosure request as recorded: parsed references and section codes,
//!   extensions, suspensions, and its free text as one checked line ([`case::text`]);
//! - [`casework`]: the administrators' changes to a case, checked against the rules (pure);
//!   `entry`: what an entered change or imported row must pass besides (the engine can count
//!   it, its dates are plausible; pure);
//! - [`deadline`]: the engine: each stage's due date, standing and escalation level at a date
//!   (pure);
//! - [`report`]: supervision figures for a period, per section and for the office (arts. 23,
//!   24; pure), written as a table, CSV or workbook by [`report_output`]; [`ics`]: a section's
//!   open deadlines as an iCalendar feed (pure);
//! - [`import`]: cases from a CSV file, checked whole before anything is written;
//! - [`escalation`]: who hears of which case and when (the policy, pure);
//! - [`mail`]: templates and transports; [`outbox`]: notifications recorded once and mail
//!   delivered at least once; [`runner`]: one reconcile-and-deliver pass;
//! - [`feeds`]: reports and calendar feeds read from the store, and the monthly report job;
//! - [`daemon`]: `duewatch run`, its schedule, calendar reloads and clean stop; [`health`] and
//!   [`http`]: is it working, for monitors; [`samples`]: the development config's sample cases;
//! - [`store`]: cases in SQLite or PostgreSQL, one code path for both, and duewatch's own state;
//! - [`source`]: where the watched cases are read: the store, or an existing case system's
//!   database through the administrator's queries (read-only);
//! - [`config`]: the layered configuration (defaults, file, `DUEWATCH__…` environment), its
//!   bounds and its messages;
//! - [`cli`]: the `duewatch` command line; `src/main.rs` only calls [`cli::main`]; `error`: how
//!   an error reads to an operator (each cause once).

mod bounded_file;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod domain;
mod error;
pub mod import;
pub mod jobs;
pub mod mail;
pub mod output;
pub mod source;
pub mod store;
