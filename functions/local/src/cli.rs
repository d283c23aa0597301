//! The local server's command line: its own flags and every setting of the
//! API, each declared once with clap (`estate::local_server::LocalOptions`,
//! `estate::config::Settings`), whose doc comments are this `--help`.

use clap::Parser;
use estate::local_server::{LocalOptions, ServerLimits};

/// Serves the whole API on http://127.0.0.1:3000, with its interactive
/// documentation at /docs, from the embedded store, or from DynamoDB with
/// `--store dynamodb` and TABLE_NAME.
#[derive(Debug, Parser)]
#[command(name = "local", after_help = limits())]
pub struct Cli {
    /// Print the OpenAPI contract and exit
    #[arg(long)]
    pub openapi: bool,

    /// Print a phone-like JPEG (EXIF orientation and GPS position) to try photo uploads with, and exit
    #[arg(long)]
    pub sample_photo: bool,

    // Last: its settings set the heading of the arguments after them.
    #[command(flatten)]
    pub options: LocalOptions,
}

/// The limits the local server serves with, for the end of `--help`.
fn limits() -> String {
    let limits = ServerLimits::LOCAL;
    format!(
        "Limits: request target {} KiB (414), request line and headers {} KiB in at most {} fields (431), \
         {} s for the headers (then the connection closes), {} s between parts of a body (408). \
         Connections are kept alive.",
        limits.max_target_bytes / 1024,
        limits.max_head_bytes / 1024,
        limits.max_headers,
        limits.header_read_timeout.as_secs(),
        limits.body_read_timeout.as_secs(),
    )
}

/// What the command line asks for.
pub enum Command {
    /// Serve (after seeding or creating the table, if asked).
    Run(Box<LocalOptions>),
    /// Print this (the contract, or a sample photo) and exit.
    Print(Vec<u8>),
}

/// The command line `args` (the program's name first) and the environment;
/// an error is clap's, `--help` included, for `clap::Error::exit`.
pub fn parse<I: Into<std::ffi::OsString> + Clone>(args: impl IntoIterator<Item = I>) -> Result<Command, clap::Error> {
    let cli = Cli::try_parse_from(args)?;
    Ok(if cli.openapi {
        // How `openapi.json` is regenerated.
        Command::Print(estate::http::openapi::json().into_bytes())
    } else if cli.sample_photo {
        Command::Print(estate::media::samples::phone_photo())
    } else {
        Command::Run(Box::new(cli.options))
    })
}

#[cfg(test)]
mod tests {
    use super::{Cli, Command, parse};
    use clap::CommandFactory;

    fn options(args: &[&str]) -> estate::local_server::LocalOptions {
        match parse(std::iter::once("local").chain(args.iter().copied())) {
            Ok(Command::Run(options)) => *options,
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
        let error = parse(["local", "--no-such-flag"]).err().expect("an unknown flag is refused");
        assert!(error.to_string().contains("--no-such-flag"), "{error}");
    }

    #[test]
    fn the_help_is_generated_from_the_declarations() {
        let error = parse(["local", "--help"]).err().expect("--help prints the help");
        assert_eq!(error.kind(), clap::error::ErrorKind::DisplayHelp);
        let help = error.to_string();
        for expected in ["--allow-remote-seed", "--reindex", "[env: TABLE_NAME=", "[env: JWT_TTL_SECONDS=", "Limits: "]
        {
            assert!(help.contains(expected), "{expected:?} is not in the help:\n{help}");
        }
        assert!(help.contains(estate::seed::DEMO_PASSWORD), "the help names the demo password:\n{help}");
    }

    /// `--help` shows the value of an option's variable when it is set:
    /// never for a key.
    #[test]
    fn no_key_is_shown_by_the_help() {
        let command = Cli::command();
        let keys: Vec<_> = command
            .get_arguments()
            .filter(|arg| arg.get_env().is_some_and(|name| name.to_string_lossy().contains("PEM")))
            .collect();
        assert_eq!(keys.len(), 3, "the three PEM keys");
        for key in keys {
            assert!(key.is_hide_env_values_set(), "{:?} shows its value in --help", key.get_id());
        }
    }

    #[test]
    fn the_settings_are_read_from_the_flags_too() {
        let options = options(&["--port", "8080", "--store", "dynamodb", "--table-name", "t"]);
        assert_eq!(options.port, 8080);
        assert_eq!(options.store, estate::local_server::StoreKind::Dynamodb);
        assert_eq!(options.settings.table_name().unwrap(), "t");
        assert!(parse(["local", "--store", "postgres"]).is_err(), "STORE is memory or dynamodb");
    }
}
