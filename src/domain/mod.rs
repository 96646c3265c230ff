//! The rulebook's rules, pure: no configuration loading, no I/O, no clock, no clap, no sqlx.

pub mod address;
pub mod case;
pub mod casework;
pub mod deadline;
pub(crate) mod entry;
pub mod escalation;
pub mod parties;
pub mod report;
