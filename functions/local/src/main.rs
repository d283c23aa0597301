//! The whole API on http://127.0.0.1:3000, on the embedded store by default,
//! with its interactive documentation at /docs.

mod cli;
mod docs;

#[tokio::main]
async fn main() -> Result<(), estate::entrypoints::BoxError> {
    match cli::parse(std::env::args().skip(1))? {
        cli::Command::Print(text) => {
            print!("{text}");
            Ok(())
        }
        cli::Command::Run(options) => {
            estate::telemetry::init();
            estate::entrypoints::serve_local(options, docs::router()).await
        }
    }
}
