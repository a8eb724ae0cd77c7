//! `portmatrix review PLAN.json`: the firewall rules of a Terraform plan against a selection, as text, JSON or
//! JUnit XML. The comparison itself is [`crate::review`].

use std::io::Read;
use std::path::PathBuf;

use clap::Args;
use serde_json::{json, Value};

use super::sarif::{self, SarifResult, SarifRule};
use super::selection::{expand_plan_selection, SelectionArgs};
use super::table::Table;
use super::{key_and_value, to_json, Outcome};
use crate::catalog::Catalog;
use crate::review::{self, Check, FindingKind, Review, Subject, TierMap};

/// `portmatrix review` arguments.
#[derive(Debug, Args)]
pub(super) struct ReviewArgs {
    /// The plan: the output of `terraform show -json PLANFILE`; `-` reads standard input. Without selection
    /// flags, the selection is the one of the plan's portmatrix data source (its platforms, tiers, endpoints and
    /// parameters), and groups its rules are wired to sit on the tiers they name.
    plan: PathBuf,
    #[command(flatten)]
    selection: SelectionArgs,
    /// Place plan groups on a tier, repeatable: TIER=MATCH, where MATCH is a resource address (or a module
    /// address holding it), a group or firewall name, a security group ID, a Google Cloud target tag or service
    /// account, or a tag KEY=VALUE. Tiers without --tier take groups tagged portmatrix:tier=TIER or named TIER.
    #[arg(long = "tier", value_name = "TIER=MATCH", value_parser = parse_tier)]
    tiers: Vec<(String, String)>,
    /// Print JSON.
    #[arg(long, conflicts_with_all = ["junit", "sarif"])]
    json: bool,
    /// Print JUnit XML: one test case per need and per permission, failed by its finding.
    #[arg(long, conflicts_with = "sarif")]
    junit: bool,
    /// Print a SARIF 2.1.0 log for code scanning: one result per finding, at the resource addresses it concerns
    /// (for a missing need, the groups of its tiers).
    #[arg(long)]
    sarif: bool,
}

fn parse_tier(text: &str) -> Result<(String, String), String> {
    let example = "master=module.masters or worker=sg-0123456789abcdef0";
    key_and_value(text, |value| !value.is_empty(), "TIER=MATCH", example)
}

/// Runs `review`: findings make the outcome fail.
pub(super) fn run(args: &ReviewArgs, catalog: &Catalog) -> Result<Outcome, String> {
    let bytes = if args.plan.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read the plan from standard input: {e}"))?;
        bytes
    } else {
        std::fs::read(&args.plan)
            .map_err(|e| format!("cannot read the plan {}: {e}", args.plan.display()))?
    };
    let name = args.plan.display().to_string();
    let reviewed = review_document(&name, &bytes, &args.selection, &args.tiers, catalog)?;
    let format = if args.json {
        Format::Json
    } else if args.sarif {
        Format::Sarif
    } else if args.junit {
        Format::Junit
    } else {
        Format::Text
    };
    reviewed.outcome(format)
}

/// `portmatrix review` of a plan document given as bytes, with the selection of the plan's portmatrix data source,
/// in every output format. The entry point of the fuzz target `review_plan` ([`crate::fuzzing`]).
pub(crate) fn review_in_every_format(
    bytes: &[u8],
    catalog: &Catalog,
) -> Result<Vec<Outcome>, String> {
    let reviewed = review_document("plan.json", bytes, &SelectionArgs::default(), &[], catalog)?;
    Format::ALL
        .iter()
        .map(|format| reviewed.outcome(*format))
        .collect()
}

/// The forms `review` writes.
#[derive(Debug, Clone, Copy)]
enum Format {
    Text,
    Json,
    Junit,
    Sarif,
}

impl Format {
    const ALL: [Format; 4] = [Format::Text, Format::Json, Format::Junit, Format::Sarif];
}

/// A plan reviewed against its selection, before it is written in one of the formats.
struct Reviewed {
    plan: review::Plan,
    map: TierMap,
    result: Review,
    /// The expansion's warnings, then the review's.
    warnings: Vec<String>,
}

/// Reads the plan document in `bytes` (named `name` in messages) and reviews it against the selection of
/// `selection`, or else of the plan's portmatrix data source, with the groups placed by `tiers` (`--tier`).
fn review_document(
    name: &str,
    bytes: &[u8],
    selection: &SelectionArgs,
    tiers: &[(String, String)],
    catalog: &Catalog,
) -> Result<Reviewed, String> {
    let document = plan_json(name, bytes)?;
    let plan = review::parse_plan(&document).map_err(|e| format!("{name}: {e}"))?;
    let expansion = if selection.given() {
        selection.expand(catalog)?
    } else {
        match plan.selections.as_slice() {
            [(address, values)] => {
                let catalog = selection.catalog(catalog)?;
                expand_plan_selection(address, values, &catalog)?
            }
            [] => {
                return Err(format!(
                    "{name} holds no portmatrix data source known at plan time: give the selection with \
                     --platform NAME (repeatable) or --selection FILE"
                ))
            }
            several => {
                let addresses: Vec<&str> = several.iter().map(|(a, _)| a.as_str()).collect();
                return Err(format!(
                    "{name} holds {} portmatrix data sources ({}): review one at a time, giving its selection \
                     with --selection FILE or --platform flags",
                    several.len(),
                    addresses.join(", ")
                ));
            }
        }
    };
    let tier_names: Vec<String> = expansion.tiers.iter().map(|(t, _)| t.clone()).collect();
    let map = TierMap::new(&tier_names, tiers)?;
    for (tier, value) in tiers {
        if !plan
            .groups
            .iter()
            .any(|group| review::matches(value, group))
            && !plan
                .permissions
                .iter()
                .any(|p| plan.peer_label(p) == *value)
        {
            return Err(format!(
                "--tier {tier}={value}: nothing in the plan matches {value:?}; give a resource or module address, \
                 a group name or ID, a target tag or a tag KEY=VALUE of a group the plan holds"
            ));
        }
    }
    let result = review::review(&plan, &expansion, &map);
    let mut warnings = expansion.warnings.clone();
    warnings.extend(result.warnings.iter().cloned());
    Ok(Reviewed {
        plan,
        map,
        result,
        warnings,
    })
}

impl Reviewed {
    /// The review written in `format`; findings make the outcome fail.
    fn outcome(&self, format: Format) -> Result<Outcome, String> {
        let output = match format {
            Format::Json => to_json(&report_json(
                &self.plan,
                &self.map,
                &self.result,
                &self.warnings,
            ))?,
            Format::Sarif => to_json(&review_sarif(&self.result))?,
            Format::Junit => junit(&self.result),
            Format::Text => text_report(&self.plan, &self.result, &self.warnings),
        };
        Ok(Outcome {
            output,
            warnings: self.warnings.clone(),
            findings: self.result.findings().next().is_some(),
        })
    }
}

/// What to give instead of a document that is not a JSON plan.
const GIVE_JSON: &str = "give the output of `terraform show -json PLANFILE`";

/// The plan document in `bytes` (read from `name`), or why it is not one.
fn plan_json(name: &str, bytes: &[u8]) -> Result<Value, String> {
    // A saved plan file is a zip archive: the most likely wrong file to give.
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(format!(
            "{name} is a saved plan file (a zip archive), not its JSON: run `terraform show -json {name} > \
             plan.json` and review plan.json"
        ));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| format!("{name} is not text (UTF-8), so not a JSON plan: {GIVE_JSON}"))?;
    if text.trim().is_empty() {
        return Err(format!("{name} is empty: {GIVE_JSON}"));
    }
    serde_json::from_str(text).map_err(|e| format!("{name} is not JSON ({e}): {GIVE_JSON}"))
}

/// The findings as SARIF results: a permission at its resources, a missing need at its tiers' groups.
fn review_sarif(result: &Review) -> Value {
    let rules = [
        SarifRule {
            id: "missing",
            description: "A flow the selection needs that no rule of the plan admits",
            level: "error",
        },
        SarifRule {
            id: "over-broad",
            description:
                "A rule that opens a needed internal flow to every address, or to every protocol",
            level: "error",
        },
        SarifRule {
            id: "excess",
            description: "A rule that admits ports or protocols no needed flow asks for",
            level: "warning",
        },
    ];
    let results: Vec<SarifResult> = result
        .findings()
        .map(|(check, finding)| {
            let locations = if check.resources.is_empty() {
                result
                    .tiers
                    .iter()
                    .filter(|(tier, _)| check.tiers.contains(tier))
                    .flat_map(|(_, groups)| groups.iter().cloned())
                    .collect()
            } else {
                check.resources.clone()
            };
            SarifResult {
                rule: match finding.kind {
                    FindingKind::Missing => "missing",
                    FindingKind::OverBroad => "over-broad",
                    FindingKind::Excess => "excess",
                },
                message: finding.message.clone(),
                locations,
                location_kind: "resource",
            }
        })
        .collect();
    sarif::log(&rules, &results)
}

fn summary(result: &Review) -> String {
    let counts: Vec<String> = FindingKind::ALL
        .iter()
        .map(|k| format!("{} {k}", result.count(*k)))
        .collect();
    format!("{} checks: {}.", result.checks.len(), counts.join(", "))
}

fn text_report(plan: &review::Plan, result: &Review, warnings: &[String]) -> String {
    let mut out = format!(
        "Review of a Terraform {} plan (format {})\n\nTiers\n",
        plan.terraform_version, plan.format_version
    );
    let mut table = Table::new(&["TIER", "GROUPS"]);
    for (tier, groups) in &result.tiers {
        let groups = if groups.is_empty() {
            "-".to_string()
        } else {
            groups.join(", ")
        };
        table.row(vec![tier.clone(), groups]);
    }
    out.push_str(&table.render());
    if !result.unassigned.is_empty() {
        out.push_str(&format!(
            "\nGroups on no tier (not reviewed): {}\n",
            result.unassigned.join(", ")
        ));
    }
    out.push_str("\nFindings\n");
    let findings: Vec<_> = result.findings().collect();
    if findings.is_empty() {
        out.push_str("(none)\n");
    }
    let width = FindingKind::ALL
        .iter()
        .map(|k| k.to_string().len())
        .max()
        .unwrap_or(0);
    for (_, finding) in findings {
        out.push_str(&format!(
            "{:width$}  {}\n",
            finding.kind.to_string(),
            finding.message
        ));
    }
    if !warnings.is_empty() {
        out.push_str("\nWarnings\n");
        for warning in warnings {
            out.push_str(&format!("- {warning}\n"));
        }
    }
    out.push('\n');
    out.push_str(&summary(result));
    out.push('\n');
    out
}

fn check_json(check: &Check) -> Value {
    let finding = check.finding.as_ref();
    json!({
        "kind": finding.map(|f| f.kind.to_string()),
        "subject": check.subject.to_string(),
        "tiers": check.tiers,
        "direction": check.direction.to_string(),
        "protocol": check.protocol,
        "ports": check.ports,
        "peer": check.peer,
        "affected_ports": finding.map(|f| f.ports.clone()),
        "resources": check.resources,
        "flows": check.flows,
        "message": finding.map(|f| f.message.clone()),
    })
}

fn report_json(plan: &review::Plan, map: &TierMap, result: &Review, warnings: &[String]) -> Value {
    let mut summary = serde_json::Map::new();
    summary.insert("checks".into(), json!(result.checks.len()));
    for kind in FindingKind::ALL {
        summary.insert(
            kind.to_string().replace('-', "_"),
            json!(result.count(kind)),
        );
    }
    json!({
        "plan": {
            "terraform_version": plan.terraform_version,
            "format_version": plan.format_version,
        },
        "tiers": result.tiers.iter().map(|(tier, groups)| json!({
            "name": tier,
            "matchers": map.matchers(tier),
            "groups": groups,
        })).collect::<Vec<_>>(),
        "unassigned_groups": result.unassigned,
        "summary": summary,
        "findings": result.findings().map(|(c, _)| check_json(c)).collect::<Vec<_>>(),
        "warnings": warnings,
    })
}

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A check's test case name: what it is about, with the resources of a permission.
fn case_name(check: &Check) -> String {
    let what = format!(
        "{} {} {} {} {}",
        check.direction,
        check.protocol,
        check.ports,
        check.direction.peer_preposition(),
        check.peer
    );
    match check.subject {
        Subject::Need => what,
        Subject::Permission => format!("{}: {what}", check.resources.join(", ")),
    }
}

/// JUnit XML: a suite per tier (or set of tiers sharing a group), a case per check.
fn junit(result: &Review) -> String {
    let mut suites: Vec<(String, Vec<&Check>)> = Vec::new();
    for check in &result.checks {
        let name = check.tiers.join(",");
        match suites.iter_mut().find(|(n, _)| *n == name) {
            Some((_, checks)) => checks.push(check),
            None => suites.push((name, vec![check])),
        }
    }
    let failures = |checks: &[&Check]| checks.iter().filter(|c| c.finding.is_some()).count();
    let all: Vec<&Check> = result.checks.iter().collect();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"portmatrix review\" tests=\"{}\" \
         failures=\"{}\">\n",
        all.len(),
        failures(&all)
    );
    for (name, checks) in &suites {
        out.push_str(&format!(
            "  <testsuite name=\"tier {}\" tests=\"{}\" failures=\"{}\">\n",
            xml(name),
            checks.len(),
            failures(checks)
        ));
        for check in checks {
            let case = format!(
                "    <testcase classname=\"portmatrix.{}.{}\" name=\"{}\"",
                xml(name),
                check.subject,
                xml(&case_name(check))
            );
            match &check.finding {
                None => out.push_str(&format!("{case}/>\n")),
                Some(finding) => out.push_str(&format!(
                    "{case}>\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                    finding.kind,
                    xml(&finding.message),
                    xml(&check.flows.join("\n"))
                )),
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::{Direction, Finding};

    fn check(finding: Option<Finding>) -> Check {
        Check {
            subject: Subject::Permission,
            tiers: vec!["master".into()],
            direction: Direction::Ingress,
            protocol: "tcp".into(),
            ports: "22".into(),
            peer: "0.0.0.0/0".into(),
            resources: vec!["aws_security_group.a <b>".into()],
            flows: vec!["p: a -> b (ssh)".into()],
            finding,
        }
    }

    #[test]
    fn junit_escapes_and_counts() {
        let review = Review {
            tiers: vec![],
            unassigned: vec![],
            checks: vec![
                check(None),
                check(Some(Finding {
                    kind: FindingKind::OverBroad,
                    ports: "22".into(),
                    message: "x \"y\" & z".into(),
                })),
            ],
            warnings: vec![],
        };
        assert_eq!(
            junit(&review),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <testsuites name=\"portmatrix review\" tests=\"2\" failures=\"1\">\n  \
             <testsuite name=\"tier master\" tests=\"2\" failures=\"1\">\n    \
             <testcase classname=\"portmatrix.master.permission\" name=\"aws_security_group.a &lt;b&gt;: ingress tcp 22 from 0.0.0.0/0\"/>\n    \
             <testcase classname=\"portmatrix.master.permission\" name=\"aws_security_group.a &lt;b&gt;: ingress tcp 22 from 0.0.0.0/0\">\n      \
             <failure type=\"over-broad\" message=\"x &quot;y&quot; &amp; z\">p: a -&gt; b (ssh)</failure>\n    \
             </testcase>\n  </testsuite>\n</testsuites>\n"
        );
    }

    #[test]
    fn tier_flags() {
        assert_eq!(
            parse_tier("master=Name=k8s-master"),
            Ok(("master".into(), "Name=k8s-master".into()))
        );
        assert!(parse_tier("master").is_err());
        assert!(parse_tier("=x").is_err());
    }
}
