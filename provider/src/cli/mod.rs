//! The `portmatrix` command-line program (binary `src/bin/portmatrix.rs`): inspects the catalog through the
//! library API. Exit codes: 0 ok, 2 usage or selection error (message on stderr), 1 output failure.

mod catalog;
mod table;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::catalog::Catalog;

/// Command line of `portmatrix`.
#[derive(Debug, Parser)]
#[command(
    name = "portmatrix",
    version,
    about = "Kubernetes platform port tables as data"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Inspect the built-in port catalog.
    #[command(subcommand)]
    Catalog(CatalogCommand),
}

#[derive(Debug, Subcommand)]
enum CatalogCommand {
    /// List platforms, their releases (version ranges) and role/flow counts.
    List {
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Show one release: options, parameters, roles, endpoints, the flows that apply, loopback rows,
    /// disagreements and sources.
    Show {
        /// Platform name (see `portmatrix catalog list`).
        platform: String,
        /// Platform version ("1.5", "v1.5.2"); default: the newest release.
        #[arg(long)]
        version: Option<String>,
        /// Option value, repeatable; options not given take their defaults.
        #[arg(long = "option", value_name = "KEY=VALUE", value_parser = parse_option)]
        options: Vec<(String, String)>,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Flows added and removed between the releases that cover two versions (revisit firewall rules and
    /// network policies before upgrading).
    Diff {
        /// Platform name.
        platform: String,
        /// The version upgraded from.
        from: String,
        /// The version upgraded to.
        to: String,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
}

fn parse_option(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("{text:?} is not KEY=VALUE (e.g. cni=calico)")),
    }
}

/// Runs `portmatrix` on the built-in catalog and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    for error in Catalog::builtin_errors() {
        eprintln!("warning: built-in catalog document left out: {error}");
    }
    match run(&cli, Catalog::builtin()) {
        Ok(output) => match std::io::stdout().lock().write_all(output.as_bytes()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::FAILURE,
        },
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Runs a parsed command line against `catalog`; the output, or the message of a selection error.
pub fn run(cli: &Cli, catalog: &Catalog) -> Result<String, String> {
    match &cli.command {
        Command::Catalog(CatalogCommand::List { json }) => catalog::list(catalog, *json),
        Command::Catalog(CatalogCommand::Show {
            platform,
            version,
            options,
            json,
        }) => {
            let mut chosen = BTreeMap::new();
            for (key, value) in options {
                if chosen.insert(key.clone(), value.clone()).is_some() {
                    return Err(format!("option {key:?} is given more than once"));
                }
            }
            catalog::show(catalog, platform, version.as_deref(), chosen, *json)
        }
        Command::Catalog(CatalogCommand::Diff {
            platform,
            from,
            to,
            json,
        }) => catalog::diff(catalog, platform, from, to, *json),
    }
}

/// Pretty, deterministic JSON followed by a newline.
fn to_json<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| format!("cannot write JSON: {e}"))
}
