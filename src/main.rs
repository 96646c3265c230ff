//! The `duewatch` binary: sets up logging and hands over to the library's command line.

use std::io::IsTerminal;
use std::process::ExitCode;

/// jemalloc with background purging: after a poll's peak, the daemon gives the memory back within
/// seconds (glibc's malloc kept it: 40-57 MB idle instead of 20). It serves SQLite's C allocations
/// too.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // Logs go to stderr (the journal under systemd); stdout is for answers. `DUEWATCH_LOG` sets
    // the filter (default: duewatch's own info, others' warnings); `DUEWATCH_LOG_FORMAT=json`
    // writes one JSON object a line. Colours only on a terminal, never into the journal.
    let filter = tracing_subscriber::EnvFilter::try_from_env("DUEWATCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,duewatch=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if std::env::var("DUEWATCH_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
    duewatch::cli::main()
}
