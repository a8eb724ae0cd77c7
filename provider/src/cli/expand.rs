//! `portmatrix expand`: the rule set of a selection without Terraform, as the engine's flows or a target's rules.

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

use super::network_policies;
use super::selection::SelectionArgs;
use super::spelling::{flag, in_cli_terms};
use super::table::Table;
use super::{to_json, Outcome};
use crate::catalog::Catalog;
use crate::engine::{Expansion, Reason, Rule, RulePorts, SkippedFlow};
use crate::targets::target::{self as targets, Location, OptionValue, Options, Shape, TargetError};

/// `portmatrix expand` arguments.
#[derive(Debug, Args)]
pub(super) struct ExpandArgs {
    #[command(flatten)]
    selection: SelectionArgs,
    /// What to produce: the engine's normalized flows, or a target's rules.
    #[arg(long, default_value = "flows", value_parser = target_names())]
    target: String,
    #[command(flatten)]
    format: FormatArgs,
    #[command(flatten)]
    options: TargetOptionArgs,
}

/// Output format flags of `expand`: an aligned table unless one is given.
#[derive(Debug, Args)]
#[group(multiple = false)]
struct FormatArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Print a Markdown table.
    #[arg(long)]
    markdown: bool,
    /// Print CSV.
    #[arg(long)]
    csv: bool,
}

/// `--target`'s values: `flows`, then every target, NetworkPolicy last.
fn target_names() -> PossibleValuesParser {
    let flows = PossibleValue::new("flows")
        .help("The engine's normalized flows between tiers and endpoints (as portmatrix_flows)");
    let targets = crate::targets::all()
        .into_iter()
        .map(|target| PossibleValue::new(target.name()).help(target.about()));
    let policies = PossibleValue::new(network_policies::NAME).help(network_policies::ABOUT);
    PossibleValuesParser::new(
        std::iter::once(flows)
            .chain(targets)
            .chain(std::iter::once(policies)),
    )
}

/// The options of every target, once per name: the flags of `expand`.
fn all_options() -> Vec<(targets::TargetOption, Vec<&'static str>)> {
    let mut options: Vec<(targets::TargetOption, Vec<&'static str>)> = Vec::new();
    let every = crate::targets::all()
        .into_iter()
        .map(|target| (target.name(), target.options()))
        .chain(std::iter::once((
            network_policies::NAME,
            network_policies::options(),
        )));
    for (target, definitions) in every {
        for option in definitions {
            match options.iter_mut().find(|(o, _)| o.name == option.name) {
                Some((_, users)) => users.push(target),
                None => options.push((option, vec![target])),
            }
        }
    }
    options
}

/// The target options given on the command line, as written, by option name.
#[derive(Debug, Default)]
struct TargetOptionArgs {
    given: BTreeMap<&'static str, Vec<String>>,
}

impl FromArgMatches for TargetOptionArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut args = TargetOptionArgs::default();
        args.update_from_arg_matches(matches)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for (option, _) in all_options() {
            let values: Vec<String> = if option.shape == Shape::Bool {
                if matches.get_flag(option.name) {
                    vec!["true".to_string()]
                } else {
                    Vec::new()
                }
            } else {
                matches
                    .get_many::<String>(option.name)
                    .into_iter()
                    .flatten()
                    .cloned()
                    .collect()
            };
            if !values.is_empty() {
                self.given.insert(option.name, values);
            }
        }
        Ok(())
    }
}

impl Args for TargetOptionArgs {
    fn augment_args(command: clap::Command) -> clap::Command {
        all_options()
            .into_iter()
            .fold(command, |command, (option, users)| {
                let description = in_cli_terms(&option.description);
                let mut help = format!("{}: {description}", users.join(", "));
                if let Some(default) = option.default {
                    help.push_str(&format!(" [default: {default}]"));
                }
                let long = option.name.replace('_', "-");
                let arg = Arg::new(option.name).long(long).help(help);
                command.arg(match &option.shape {
                    Shape::Bool => arg.action(ArgAction::SetTrue),
                    Shape::Map(_) if option.name == network_policies::POD_SELECTOR => arg
                        .action(ArgAction::Append)
                        .value_name("ROLE[@NAMESPACE]=LABEL=VALUE[,LABEL=VALUE...]"),
                    Shape::Map(element) if **element == Shape::Text => {
                        arg.action(ArgAction::Append).value_name("TIER=VALUE")
                    }
                    Shape::Map(_) => arg
                        .action(ArgAction::Append)
                        .value_name("TIER=VALUE[,VALUE...]"),
                    Shape::List(_) => arg
                        .action(ArgAction::Append)
                        .value_delimiter(',')
                        .value_name("VALUE[,VALUE...]"),
                    Shape::Number => arg.action(ArgAction::Set).value_name("N"),
                    Shape::Text | Shape::Object(_) => {
                        arg.action(ArgAction::Set).value_name("VALUE")
                    }
                })
            })
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        Self::augment_args(command)
    }
}

/// The value of one option as written on the command line.
fn option_value(name: &str, shape: &Shape, given: &[String]) -> Result<OptionValue, String> {
    let first = || given.first().cloned().unwrap_or_default();
    Ok(match shape {
        Shape::Bool => OptionValue::Bool(true),
        Shape::Number => OptionValue::Number(first()),
        Shape::Text | Shape::Object(_) => OptionValue::Text(first()),
        Shape::List(_) => OptionValue::List(given.iter().cloned().map(OptionValue::Text).collect()),
        Shape::Map(element) => {
            let mut map: BTreeMap<String, OptionValue> = BTreeMap::new();
            for entry in given {
                let Some((key, value)) = entry.split_once('=').filter(|(k, _)| !k.is_empty())
                else {
                    return Err(format!("{} {entry}: write TIER=VALUE", flag(name)));
                };
                if **element == Shape::Text {
                    if map
                        .insert(key.to_string(), OptionValue::Text(value.to_string()))
                        .is_some()
                    {
                        return Err(format!("{}: {key} is given more than once", flag(name)));
                    }
                } else {
                    let items = value.split(',').filter(|v| !v.is_empty());
                    let list = map
                        .entry(key.to_string())
                        .or_insert(OptionValue::List(Vec::new()));
                    if let OptionValue::List(list) = list {
                        list.extend(items.map(|v| OptionValue::Text(v.to_string())));
                    }
                }
            }
            OptionValue::Map(map)
        }
    })
}

/// An option's value as the selection file gives it (JSON, or TOML read as JSON), or what was expected instead.
fn file_value(shape: &Shape, value: &Value) -> Result<OptionValue, &'static str> {
    Ok(match (shape, value) {
        (Shape::Bool, Value::Bool(b)) => OptionValue::Bool(*b),
        (Shape::Bool, _) => return Err("true or false"),
        (Shape::Number, Value::Number(n)) => OptionValue::Number(n.to_string()),
        (Shape::Number, _) => return Err("a number"),
        (Shape::Text, Value::String(text)) => OptionValue::Text(text.clone()),
        (Shape::Text | Shape::Object(_), _) => return Err("text"),
        (Shape::List(element), Value::Array(items)) => OptionValue::List(
            items
                .iter()
                .map(|item| file_value(element, item))
                .collect::<Result<_, _>>()?,
        ),
        (Shape::List(_), _) => return Err("a list"),
        (Shape::Map(element), Value::Object(entries)) => OptionValue::Map(
            entries
                .iter()
                .map(|(key, item)| file_value(element, item).map(|v| (key.clone(), v)))
                .collect::<Result<_, _>>()?,
        ),
        (Shape::Map(_), _) => return Err("a table of tier names"),
    })
}

/// A target's problem as the command line names it: the flag (and key) to fix, and how.
fn cli_error(error: &TargetError) -> String {
    let Location::Option { name, key, index } = &error.location else {
        return format!(
            "{} (the [[tier]] entries of --selection FILE): {}",
            error.summary, error.detail
        );
    };
    let mut at = flag(name);
    if let Some(key) = key {
        at.push_str(&format!(" {key}"));
    }
    if let Some(index) = index {
        at.push_str(&format!(" (value {})", index + 1));
    }
    let summary = in_cli_terms(&error.summary);
    // "Invalid --rules-per-group" names the flag already.
    if key.is_none() && summary.contains(&flag(name)) {
        format!("{summary}: {}", error.detail)
    } else {
        format!("{at}: {summary}: {}", error.detail)
    }
}

/// A target's output: the JSON document, the rows of the table/Markdown/CSV forms, and warnings.
struct Rendered {
    json: Value,
    table: Table,
    warnings: Vec<String>,
}

/// Runs `expand`.
pub(super) fn run(args: &ExpandArgs, catalog: &Catalog) -> Result<Outcome, String> {
    let target = crate::targets::all()
        .into_iter()
        .find(|target| target.name() == args.target);
    let rendered = match target {
        None if args.target == network_policies::NAME => {
            let definitions = network_policies::options();
            let names: Vec<&str> = definitions.iter().map(|o| o.name).collect();
            let catalog = args.selection.catalog(catalog)?;
            let selected = args
                .selection
                .select_in(&catalog, Some((network_policies::NAME, &names)))?;
            let options = collect_options(
                args,
                network_policies::NAME,
                &definitions,
                &selected.options,
            )?;
            let policies = network_policies::policies(
                &catalog,
                &selected.request,
                &selected.expansion,
                &options,
                skipped_json,
            )?;
            Rendered {
                json: policies.json,
                table: policies.table,
                warnings: policies.warnings,
            }
        }
        Some(target) => {
            let names: Vec<&str> = target.options().iter().map(|o| o.name).collect();
            let selected = args
                .selection
                .select(catalog, Some((target.name(), &names)))?;
            let mut options = target_options(args, target, &selected.options)?;
            options.platform_order = selected.platforms.clone();
            shaped(target, &selected.expansion, &options)?
        }
        None => {
            if let Some(name) = args.options.given.keys().next() {
                return Err(format!(
                    "{} is not an option of --target {}",
                    flag(name),
                    args.target
                ));
            }
            flows(&args.selection.expand(catalog)?)
        }
    };
    let mut warnings = rendered.warnings;
    let output = if args.format.json {
        to_json(&rendered.json)?
    } else {
        // The rows show a widened rule as any other: say so where only the JSON lists the widenings.
        warnings.extend(widened_note(&rendered.json));
        rows(&rendered.table, &args.format)
    };
    Ok(Outcome {
        output,
        warnings,
        findings: false,
    })
}

/// The table, Markdown or CSV form of `table`, as `format` asks.
fn rows(table: &Table, format: &FormatArgs) -> String {
    if format.markdown {
        table.markdown()
    } else if format.csv {
        table.csv()
    } else {
        table.render()
    }
}

/// A note naming the rules a target opened wider than the catalogs ask (`--unsupported-flows widen`,
/// `--widen-to-fit`), when the output's `widened` lists any: by their `rule` keys where the entries have them
/// (several entries may widen one rule), else by their count.
fn widened_note(json: &Value) -> Option<String> {
    let widened = json.get("widened")?.as_array().filter(|w| !w.is_empty())?;
    let named: std::collections::BTreeSet<&str> = widened
        .iter()
        .filter_map(|entry| entry.get("rule")?.as_str())
        .collect();
    let count = if named.is_empty() {
        widened.len()
    } else {
        named.len()
    };
    let names = named.into_iter().collect::<Vec<_>>().join(", ");
    Some(format!(
        "{count} rule(s) opened wider than the catalogs ask{}{names}; --json lists what each opens, in `widened`",
        if names.is_empty() { "" } else { ": " }
    ))
}

/// The options the selection file (`file`) and the flags give `target`, the flags overriding the file, checked as
/// the data source checks them.
fn target_options(
    args: &ExpandArgs,
    target: &dyn targets::Target,
    file: &BTreeMap<String, Value>,
) -> Result<Options, String> {
    let options = collect_options(args, target.name(), &target.options(), file)?;
    let errors = target.check(&options);
    if !errors.is_empty() {
        return Err(lines(&errors));
    }
    Ok(options)
}

/// The options of `target` (defined by `definitions`) the selection file and the flags give, the flags
/// overriding the file.
fn collect_options(
    args: &ExpandArgs,
    target: &str,
    definitions: &[targets::TargetOption],
    file: &BTreeMap<String, Value>,
) -> Result<Options, String> {
    let mut options = Options::default();
    for definition in definitions {
        if let Some(value) = file.get(definition.name) {
            let value = file_value(&definition.shape, value).map_err(|expected| {
                format!(
                    "--selection: {}: expected {expected} (or give {})",
                    definition.name,
                    flag(definition.name)
                )
            })?;
            options.values.insert(definition.name.to_string(), value);
        }
    }
    for (name, given) in &args.options.given {
        let Some(definition) = definitions.iter().find(|o| o.name == *name) else {
            let valid: Vec<String> = definitions.iter().map(|o| flag(o.name)).collect();
            return Err(format!(
                "{} is not an option of --target {} (its options: {})",
                flag(name),
                target,
                if valid.is_empty() {
                    "none".to_string()
                } else {
                    valid.join(", ")
                }
            ));
        };
        options.values.insert(
            name.to_string(),
            option_value(name, &definition.shape, given)?,
        );
    }
    if let Some(missing) = definitions
        .iter()
        .find(|o| o.required && !options.values.contains_key(o.name))
    {
        return Err(format!("--target {} needs {}", target, flag(missing.name)));
    }
    Ok(options)
}

fn lines(errors: &[TargetError]) -> String {
    errors.iter().map(cli_error).collect::<Vec<_>>().join("\n")
}

/// A target's rules, shaped like the outputs of its data source.
fn shaped(
    target: &dyn targets::Target,
    expansion: &Expansion,
    options: &Options,
) -> Result<Rendered, String> {
    let shaped = target.shape(expansion, options).map_err(|e| lines(&e))?;
    let mut json = Map::new();
    json.insert("target".into(), json!(target.name()));
    match serde_json::to_value(&shaped.output).map_err(|e| e.to_string())? {
        Value::Object(fields) => json.extend(fields),
        other => {
            return Err(format!(
                "target {} gave {other} instead of fields",
                target.name()
            ))
        }
    }
    let warnings = all_warnings(expansion, &shaped.warnings);
    json.insert(
        "not_needed".into(),
        json!(expansion
            .not_needed
            .iter()
            .map(skipped_json)
            .collect::<Vec<_>>()),
    );
    json.insert("warnings".into(), json!(warnings));
    let rows = shaped.output.rows();
    let mut table = Table::new(&rows.header);
    for row in rows.rows {
        table.row(row);
    }
    Ok(Rendered {
        json: Value::Object(json),
        table,
        warnings,
    })
}

/// The expansion's warnings followed by the target's.
fn all_warnings(expansion: &Expansion, target: &[String]) -> Vec<String> {
    expansion.warnings.iter().chain(target).cloned().collect()
}

fn reason_json(reason: &Reason) -> Value {
    json!({
        "platform": reason.platform,
        "versions": reason.versions,
        "from_role": reason.from_role,
        "to_role": reason.to_role,
        "purpose": reason.purpose,
        "document": reason.document,
        "url": reason.url,
        "rows": reason.rows,
    })
}

fn skipped_json(flow: &SkippedFlow) -> Value {
    json!({
        "platform": flow.platform,
        "from_role": flow.from_role,
        "to_role": flow.to_role,
        "protocol": flow.protocol,
        "ports": flow.ports,
        "purpose": flow.purpose,
        "reason": flow.reason,
    })
}

fn flow_json(rule: &Rule) -> Value {
    let (from_port, to_port, icmp_type) = match rule.ports {
        RulePorts::Range(range) => (Some(range.from), Some(range.to), None),
        RulePorts::IcmpType(t) => (None, None, t),
        RulePorts::All => (None, None, None),
    };
    json!({
        "key": rule.key(),
        "source": rule.source.name(),
        "source_kind": rule.source.kind(),
        "destination": rule.destination.name(),
        "destination_kind": rule.destination.kind(),
        "protocol": rule.protocol.to_string(),
        "from_port": from_port,
        "to_port": to_port,
        "icmp_type": icmp_type,
        "ports": rule.ports.to_string(),
        "platforms": rule.platforms(),
        "purposes": rule.purposes(),
        "reasons": rule.reasons.iter().map(reason_json).collect::<Vec<_>>(),
    })
}

/// The engine's flows, shaped like the outputs of `portmatrix_flows`.
fn flows(expansion: &Expansion) -> Rendered {
    let mut table = Table::new(&[
        "SOURCE",
        "DESTINATION",
        "PROTOCOL",
        "PORTS",
        "PLATFORMS",
        "PURPOSES",
    ]);
    for rule in &expansion.rules {
        table.row(vec![
            rule.source.name().to_string(),
            rule.destination.name().to_string(),
            rule.protocol.to_string(),
            rule.ports.to_string(),
            rule.platforms().join(", "),
            rule.purposes().join("; "),
        ]);
    }
    Rendered {
        json: json!({
            "target": "flows",
            "flows": expansion.rules.iter().map(flow_json).collect::<Vec<_>>(),
            "not_needed": expansion.not_needed.iter().map(skipped_json).collect::<Vec<_>>(),
            "warnings": expansion.warnings,
            "tiers": expansion.tiers.iter().map(|(name, roles)| json!({"name": name, "roles": roles})).collect::<Vec<_>>(),
        }),
        table,
        warnings: expansion.warnings.clone(),
    }
}
