//! The whole API on http://127.0.0.1:3000, on the embedded store by default,
//! with its interactive documentation at /docs.

mod cli;
#[cfg(test)]
mod configuration_docs;
mod docs;

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // `--help`, or a flag or setting clap cannot take: printed, and the exit.
    let command = cli::parse(std::env::args_os()).unwrap_or_else(|error| error.exit());
    let outcome = match command {
        cli::Command::Print(bytes) => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes).map_err(Into::into)
        }
        cli::Command::Run(options) => {
            estate::telemetry::init(options.settings.log_filter());
            estate::local_server::serve_local(*options, docs::router()).await
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Printed whole, with its causes, not as a quoted debug string.
            eprintln!("Error: {}", estate::telemetry::Causes(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}
