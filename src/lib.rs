//! duewatch watches the deadlines of government information-disclosure requests.
//!
//! The rulebook (the bureau's 政务公开制度, arts. 19–21) gives each request two stages: the
//! office forwards it to the responsible section within 5 working days, the section answers
//! within 10, extensions of at most 15 working days need the leadership's consent, and force
//! majeure suspends the clock. `shared/domain.md` turns that into exact rules; this crate
//! implements them.
//!
//! The modules are layers; each may use those above it in this list, never one below
//! (`python3 ../shared/tools/module-graph.py src` finds no cycle). `docs/architecture.md` says why,
//! which code implements which article, and the words the code uses.
//!
//! - [`calendar`]: working days, the holiday calendar files and their importer, and O(1)
//!   arithmetic over them (pure: no clock, no I/O but loading its files);
//! - [`domain`]: the rulebook's rules, pure: a case as recorded ([`domain::case`]), the changes
//!   to it and their refusals ([`domain::casework`], [`domain::entry`]), the deadline engine
//!   ([`domain::deadline`], with the national Regulations' own clock beside the rulebook's:
//!   [`domain::deadline::statutory`]), who hears of what and when ([`domain::escalation`]), the
//!   parties and their addresses ([`domain::parties`], [`domain::address`]), the supervision
//!   figures of a period ([`domain::report`], arts. 23, 24), and the annual report's table 3
//!   with its categories ([`domain::annual`], [`domain::outcome`]; Regulations art. 50);
//! - [`config`]: the layered configuration (defaults, file, `DUEWATCH__…` environment), parsed
//!   into types once, its bounds, its messages, and the list of jobs ([`config::Job`]);
//! - the edge, each reading or writing one thing: [`store`] (cases and duewatch's own tables
//!   in SQLite or PostgreSQL, one file per table or concern; [`store::outbox`] holds the
//!   delivery guarantee), [`source`] (where the watched cases are read: the store, or a case
//!   system's database, read-only), [`import`] (cases from a CSV file, checked whole before
//!   anything is written), [`mail`] (templates and transports), [`channels`] (posting a
//!   party's digest to a DingTalk or WeCom group robot or a signed webhook), [`output`] (the report as a
//!   table, CSV or workbook; a section's deadlines as iCalendar; both streamed from the source);
//! - `acts`: recording an act on a case (a new case, a forwarding, an extension, …): the one
//!   path of the command line, the console's forms and the write API, checked by the rulebook
//!   and at entry in one transaction;
//! - [`jobs`]: the jobs, each a plain `async fn run(ctx, now)`: the poll (reconcile + deliver),
//!   the calendar check, housekeeping, the monthly report;
//! - [`web`]: the console on `http.listen` (the supervision pages, read-only, from a snapshot
//!   of the open cases), `/api/v1/status`, the section feeds, `/healthz` and `/metrics`;
//! - [`daemon`]: `duewatch run`: when each job runs, signals and reloads, clean stop, the
//!   console started beside the jobs, the development config's sample cases;
//! - [`cli`]: the `duewatch` command line; `src/main.rs` only calls [`cli::main`];
//! - two leaves any layer may use: `error` (how an error reads to an operator: each cause once)
//!   and `bounded_file` (reading a bounded regular file: calendars, templates).

pub(crate) mod acts;
mod bounded_file;
pub mod calendar;
pub mod channels;
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
pub mod web;
