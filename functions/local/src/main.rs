//! The whole API on http://127.0.0.1:3000, on the embedded store by default,
//! with its interactive documentation at /docs.

mod cli;
mod docs;

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let outcome = match cli::parse(std::env::args().skip(1)) {
        Ok(cli::Command::Print(bytes)) => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes).map_err(Into::into)
        }
        Ok(cli::Command::Run(options)) => {
            estate::telemetry::init();
            estate::local_server::serve_local(options, docs::router()).await
        }
        Err(message) => Err(message.into()),
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
