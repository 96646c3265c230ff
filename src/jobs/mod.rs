//! The jobs duewatch runs.

pub mod feeds;
pub mod poll;
