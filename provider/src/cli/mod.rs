//! The `portmatrix` command-line program (binary `src/bin/portmatrix.rs`): the catalog, the engine, the targets
//! and the plan review through the library API, one file per subcommand.
//!
//! Exit codes: 0 ok (for `review`: no findings; for `audit`: compliant; for `catalog verify`: no drift), 1 `review`
//! found missing, excess or over-broad rules, `audit` found the groups not compliant, or `catalog verify` found
//! drift, 2 usage, input, EC2 or output error (message on stderr), 141 standard output's reader went away (as
//! for a program ended by SIGPIPE; nothing on stderr).

mod audit;
mod catalog;
mod diagram;
mod expand;
mod network_policies;
mod output;
mod review;
mod sarif;
mod selection;
mod spelling;
mod table;

use std::collections::BTreeMap;
use std::process::ExitCode;

// The readers of untrusted files, for the fuzz targets (crate::fuzzing).
pub(crate) use review::review_in_every_format;
pub(crate) use selection::select_file_bytes;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::catalog::Catalog;
use crate::plugin::handshake::PROTOCOL_VERSION;

/// The exit codes, as `--help` shows them.
const EXIT_CODES: &str = "Exit codes:\n  \
    0  success; for `review`, no findings; for `audit`, the groups are compliant; for `catalog verify`, no drift\n  \
    1  `review` found missing, excess or over-broad rules; `audit` found missing or over-broad rules; `catalog \
    verify` found rows added, removed or changed\n  \
    2  usage, input, EC2 or output error (the message is on stderr)\n  \
    141  standard output's reader went away (`portmatrix ... | head -1`), as for a program ended by SIGPIPE";

/// Command line of `portmatrix`.
#[derive(Debug, Parser)]
#[command(
    name = "portmatrix",
    version,
    about = "Kubernetes platform port tables as data",
    after_help = EXIT_CODES
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
    /// Expand a selection into its rule set without Terraform: the normalized flows (--target flows) or a
    /// target's rules, as a table, JSON, Markdown or CSV.
    #[command(after_help = EXIT_CODES)]
    Expand(expand::ExpandArgs),
    /// Review the security group, firewall and NSG rules of a Terraform plan (`terraform show -json PLANFILE`)
    /// against a selection: what is missing, excess or over-broad.
    #[command(after_help = EXIT_CODES)]
    Review(review::ReviewArgs),
    /// Draw the flows between tiers and endpoints, one edge per ordered pair labelled with its ports: Mermaid,
    /// Graphviz DOT, or SVG (with Graphviz installed).
    #[command(after_help = EXIT_CODES)]
    Diagram(diagram::DiagramArgs),
    /// Audit live AWS security groups against a selection (read-only EC2 calls): rules missing, covered by
    /// wider rules, excess, or over-broad. Needs a build with the aws-audit feature.
    #[command(after_help = EXIT_CODES)]
    Audit(audit::AuditArgs),
    /// Print a shell completion script for portmatrix (e.g. `portmatrix completions bash >
    /// /etc/bash_completion.d/portmatrix`).
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Print the portmatrix(1) manual page in roff (e.g. `portmatrix man | man -l -`), or write it and the
    /// pages of every subcommand (portmatrix-catalog(1), ...) into a directory.
    Man {
        /// Write portmatrix.1 and one page per subcommand into this directory instead of printing.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
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
    /// Compare a release with the upstream document it cites, as published (Markdown, reStructuredText,
    /// Deckhouse's deckhouse-ports.yml, or a page's captioned tables): the document's table rows against the rows the
    /// release's flows cite for that version. Exit 1 on drift; rows of tables a copy does not hold are listed as
    /// not checked, which is not drift.
    #[command(after_help = EXIT_CODES)]
    Verify {
        /// Platform name.
        platform: String,
        /// The version the document describes ("1.13.0"); it chooses the release and the flows that apply.
        #[arg(long)]
        version: String,
        /// The document as published: Markdown, e.g. Longhorn's content/docs/<version>/references/networking.md,
        /// reStructuredText (simple tables), e.g. Cilium's Documentation/operations/system_requirements.rst, the
        /// ports data file Deckhouse's page is rendered from (docs/documentation/_data/deckhouse-ports.yml), or
        /// a page's text with each pipe table led by its caption line ("Table 1. ..."), as for Kublr.
        #[arg(long, value_name = "FILE")]
        document: std::path::PathBuf,
        /// The release's source the document is (a `[[sources]]` id); default: the release's first source.
        #[arg(long)]
        source: Option<String>,
        /// Print JSON instead of text.
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
    key_and_value(text, |_| true, "KEY=VALUE", "cni=calico")
}

/// A flag's `KEY=VALUE` pair, its key not empty and its value one `valid` takes; else an error that shows the
/// `form` and an `example`.
fn key_and_value(
    text: &str,
    valid: impl Fn(&str) -> bool,
    form: &str,
    example: &str,
) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() && valid(value) => {
            Ok((key.to_owned(), value.to_owned()))
        }
        _ => Err(format!("{text:?} is not {form} (e.g. {example})")),
    }
}

/// What a command produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Text for standard output.
    pub output: String,
    /// Lines for standard error (skipped flows, rules not reviewed, ...).
    pub warnings: Vec<String>,
    /// Whether `review` found something, or `audit` found the groups not compliant: the exit code is then 1.
    pub findings: bool,
}

/// The `portmatrix` command as clap defines it, with a long version (`--version`) that names the provider version,
/// the plugin protocol and the releases of the built-in catalog.
pub fn command() -> clap::Command {
    Cli::command().long_version(long_version(Catalog::builtin()))
}

/// [`command`] with the version on every subcommand too, so that each manual page's title names it (a `--version`
/// flag on subcommands would clash with `catalog show --version`).
fn manual_command() -> clap::Command {
    fn versioned(command: clap::Command) -> clap::Command {
        command
            .version(env!("CARGO_PKG_VERSION"))
            .disable_version_flag(true)
            .mut_subcommands(versioned)
    }
    command().mut_subcommands(versioned)
}

/// What `portmatrix --version` prints after the program name.
fn long_version(catalog: &Catalog) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let platforms: Vec<_> = catalog.platforms().collect();
    let releases: usize = platforms.iter().map(|p| p.releases.len()).sum();
    let mut text = format!(
        "{version}\nprovider: terraform-provider-portmatrix {version} (Terraform plugin protocol {PROTOCOL_VERSION}.0)\n\
         catalog: built into portmatrix {version}, {} platforms, {releases} releases (versions covered):",
        platforms.len()
    );
    for platform in platforms {
        let ranges: Vec<&str> = platform
            .releases
            .iter()
            .map(|r| r.platform.versions.text())
            .collect();
        text.push_str(&format!("\n  {} {}", platform.name, ranges.join(" | ")));
    }
    text
}

/// Runs `portmatrix` on the built-in catalog and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match command()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches))
    {
        Ok(cli) => cli,
        Err(error) => return output::clap_exit(&error),
    };
    for error in Catalog::builtin_errors() {
        output::note(&format!(
            "warning: built-in catalog document left out: {error}"
        ));
    }
    match execute(&cli, Catalog::builtin()) {
        Ok(outcome) => {
            for warning in &outcome.warnings {
                output::note(&format!("warning: {warning}"));
            }
            let code = if outcome.findings {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
            output::emit(outcome.output.as_bytes(), code)
        }
        Err(message) => {
            output::note(&format!("error: {message}"));
            ExitCode::from(2)
        }
    }
}

/// Runs a parsed command line against `catalog`; the output, or the message of a selection error.
pub fn run(cli: &Cli, catalog: &Catalog) -> Result<String, String> {
    execute(cli, catalog).map(|outcome| outcome.output)
}

/// Runs a parsed command line against `catalog`: the output, warnings and whether there are findings, or the
/// message of a usage or input error. The settings messages mention are spelled as flags.
pub(crate) fn execute(cli: &Cli, catalog: &Catalog) -> Result<Outcome, String> {
    match execute_command(cli, catalog) {
        Ok(outcome) => Ok(Outcome {
            output: spelling::in_cli_terms(&outcome.output),
            warnings: outcome
                .warnings
                .iter()
                .map(|w| spelling::in_cli_terms(w))
                .collect(),
            findings: outcome.findings,
        }),
        Err(message) => Err(spelling::in_cli_terms(&message)),
    }
}

fn execute_command(cli: &Cli, catalog: &Catalog) -> Result<Outcome, String> {
    let with_warnings = |output: Result<String, String>, warnings: Vec<String>| {
        output.map(|output| Outcome {
            output,
            warnings,
            findings: false,
        })
    };
    let plain = |output: Result<String, String>| with_warnings(output, Vec::new());
    match &cli.command {
        Command::Catalog(CatalogCommand::List { json }) => plain(catalog::list(catalog, *json)),
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
            with_warnings(
                catalog::show(catalog, platform, version.as_deref(), chosen, *json),
                catalog::unread_version_warnings(catalog, platform, version.as_deref().as_slice()),
            )
        }
        Command::Catalog(CatalogCommand::Diff {
            platform,
            from,
            to,
            json,
        }) => with_warnings(
            catalog::diff(catalog, platform, from, to, *json),
            catalog::unread_version_warnings(catalog, platform, &[from, to]),
        ),
        Command::Catalog(CatalogCommand::Verify {
            platform,
            version,
            document,
            source,
            json,
        }) => catalog::verify(
            catalog,
            platform,
            version,
            document,
            source.as_deref(),
            *json,
        ),
        Command::Expand(args) => expand::run(args, catalog),
        Command::Review(args) => review::run(args, catalog),
        Command::Diagram(args) => diagram::run(args, catalog),
        Command::Audit(args) => audit::run(args, catalog),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut command(), "portmatrix", &mut script);
            plain(String::from_utf8(script).map_err(|e| format!("completion script: {e}")))
        }
        Command::Man { dir: Some(dir) } => {
            clap_mangen::generate_to(manual_command(), dir).map_err(|e| {
                format!("cannot write the manual pages into {}: {e}", dir.display())
            })?;
            plain(Ok(String::new()))
        }
        Command::Man { dir: None } => {
            let mut page = Vec::new();
            clap_mangen::Man::new(manual_command())
                .render(&mut page)
                .map_err(|e| format!("cannot render the manual page: {e}"))?;
            plain(String::from_utf8(page).map_err(|e| format!("manual page: {e}")))
        }
    }
}

/// Pretty, deterministic JSON followed by a newline.
fn to_json<T: serde::Serialize>(value: &T) -> Result<String, String> {
    let value = serde_json::to_value(value).map_err(|e| format!("cannot write JSON: {e}"))?;
    // Markers inside JSON strings are escaped past recognition once printed: spell them first.
    serde_json::to_string_pretty(&spelling::json_in_cli_terms(value))
        .map(|s| s + "\n")
        .map_err(|e| format!("cannot write JSON: {e}"))
}
