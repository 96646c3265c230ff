//! The `duewatch` binary: sets up logging and hands over to the library's command line.

use std::process::ExitCode;

fn main() -> ExitCode {
    // Logs go to stderr (the journal under systemd); stdout is for answers.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DUEWATCH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    duewatch::cli::main()
}
