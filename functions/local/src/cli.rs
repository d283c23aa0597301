//! The local server's command line.

use estate::entrypoints::LocalOptions;

/// What the command line asks for.
pub enum Command {
    /// Serve (after seeding or creating the table, if asked).
    Run(LocalOptions),
    /// Print this text and exit.
    Print(String),
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut options = LocalOptions::default();
    for arg in args {
        match arg.as_str() {
            "--seed" => options.seed = true,
            "--create-table" => options.create_table = true,
            "--no-serve" => options.no_serve = true,
            // How `openapi.json` is regenerated.
            "--openapi" => return Ok(Command::Print(estate::http::openapi::json())),
            "-h" | "--help" => return Ok(Command::Print(help())),
            other => return Err(format!("unknown argument {other:?}; try --help")),
        }
    }
    Ok(Command::Run(options))
}

fn help() -> String {
    format!(
        "local [--seed] [--create-table] [--no-serve] | --openapi\n\n\
         Serves the whole API on http://127.0.0.1:3000 (PORT, HOST) from the embedded\n\
         store, or from DynamoDB with STORE=dynamodb and TABLE_NAME.\n\
         --seed          load the demo data set (password: {})\n\
         --create-table  create TABLE_NAME if missing (STORE=dynamodb)\n\
         --no-serve      exit after the steps above\n\
         --openapi       print the OpenAPI contract and exit\n",
        estate::seed::DEMO_PASSWORD
    )
}
