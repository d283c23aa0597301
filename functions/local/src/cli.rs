//! The local server's command line.

use estate::local_server::LocalOptions;

/// What the command line asks for.
pub enum Command {
    /// Serve (after seeding or creating the table, if asked).
    Run(LocalOptions),
    /// Print this (text, or a sample photo) and exit.
    Print(Vec<u8>),
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut options = LocalOptions::default();
    for arg in args {
        match arg.as_str() {
            "--seed" => options.seed = true,
            "--allow-remote-seed" => options.allow_remote_seed = true,
            "--create-table" => options.create_table = true,
            "--reindex" => options.reindex = true,
            "--no-serve" => options.no_serve = true,
            // How `openapi.json` is regenerated.
            "--openapi" => return Ok(Command::Print(estate::http::openapi::json().into_bytes())),
            // A phone-like JPEG, with an orientation and a GPS position, to try photos with.
            "--sample-photo" => return Ok(Command::Print(estate::media::samples::phone_photo())),
            "-h" | "--help" => return Ok(Command::Print(help().into_bytes())),
            other => return Err(format!("unknown argument {other:?}; try --help")),
        }
    }
    Ok(Command::Run(options))
}

fn help() -> String {
    format!(
        "local [--seed [--allow-remote-seed]] [--create-table] [--reindex] [--no-serve] | --openapi | --sample-photo\n\n\
         Serves the whole API on http://127.0.0.1:3000 (PORT, HOST) from the embedded\n\
         store, or from DynamoDB with STORE=dynamodb and TABLE_NAME.\n\
         --seed               load the demo data set (password: {}); with\n\
         \x20                    STORE=dynamodb, only into a DynamoDB on this machine\n\
         \x20                    (AWS_ENDPOINT_URL on localhost or a loopback address)\n\
         --allow-remote-seed  let --seed load it into any other DynamoDB, AWS included\n\
         --create-table       create TABLE_NAME if missing (STORE=dynamodb)\n\
         --reindex            put every property item of TABLE_NAME again as this\n\
         \x20                    version writes it (STORE=dynamodb; the upgrade of a\n\
         \x20                    table written before listings, docs/deploy.md)\n\
         --no-serve           exit after the steps above\n\
         --openapi            print the OpenAPI contract and exit\n\
         --sample-photo       print a phone-like JPEG (EXIF orientation and GPS\n\
         \x20                    position) to try photo uploads with, and exit\n\n\
         Limits: request target 8 KiB (414), request line and headers 32 KiB in at\n\
         most 100 fields (431), 10 s for the headers (then the connection closes),\n\
         10 s between parts of a body (408). Connections are kept alive.\n",
        estate::seed::DEMO_PASSWORD
    )
}

#[cfg(test)]
mod tests {
    use super::{Command, parse};

    fn options(args: &[&str]) -> estate::local_server::LocalOptions {
        match parse(args.iter().map(|arg| arg.to_string())) {
            Ok(Command::Run(options)) => options,
            _ => panic!("{args:?} should run the server"),
        }
    }

    #[test]
    fn seeding_a_remote_dynamodb_takes_its_own_flag() {
        let seed = options(&["--seed"]);
        assert!(seed.seed && !seed.allow_remote_seed);
        let remote = options(&["--seed", "--allow-remote-seed"]);
        assert!(remote.seed && remote.allow_remote_seed);
        let upgrade = options(&["--reindex", "--no-serve"]);
        assert!(upgrade.reindex && upgrade.no_serve && !upgrade.seed);
        match parse(["--help".to_string()]) {
            Ok(Command::Print(help)) => {
                let help = String::from_utf8(help).unwrap();
                assert!(help.contains("--allow-remote-seed") && help.contains("--reindex"));
            }
            _ => panic!("--help prints the help"),
        }
    }
}
