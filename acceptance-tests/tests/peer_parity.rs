//! Parity with the firewall rules widely used projects write by hand for the same clusters, under every Terraform.
//!
//! The peers' rules are transcribed, with repository, commit, file and line, into `testdata/peers/*.toml` by reading
//! the peers' files at the named commits (never from portmatrix's output). For each peer configuration the test
//! expands the equivalent selection with `portmatrix_aws_security_group_rules` and checks every peer rule: either
//! a produced rule admits it (same group and direction, same peer group or CIDR, same protocol, ports covering the
//! peer's), or `docs/guides/parity.md` lists it as deliberately tighter, with the reason and the source. The list
//! in the guide must name exactly the peer rules that are not produced, so it cannot rot either way.

mod common;

use common::{rules, Direction, Rule};
use portmatrix_acceptance_tests::{repo_root, terraforms, Workspace};
use std::collections::{BTreeMap, BTreeSet};

/// One hand-written peer rule, as transcribed.
#[derive(Debug)]
struct PeerRule {
    name: String,
    location: String,
    tier: String,
    direction: Direction,
    protocol: String,
    from: i64,
    to: i64,
    /// The peer tier, or the CIDR blocks.
    peers: Vec<String>,
}

/// A transcribed peer configuration and the selection that stands for it.
struct Configuration {
    /// File stem in testdata/peers (without a suffix `-extras`), also the name the parity guide uses.
    name: &'static str,
    /// The data source's inputs for the equivalent selection.
    inputs: &'static str,
}

/// Typhoon's add-ons that its rules open ports for: Prometheus (on the workers) scraping node-exporter, and the
/// nginx ingress controller on the workers' host ports 80 and 443, reached from anywhere.
const TYPHOON_ADDONS: &str = r#"
  platform {
    name = "node-exporter"
  }
  platform {
    name    = "ingress-nginx"
    options = { exposure = "hostnetwork" }
  }
  endpoint {
    name = "prometheus"
    tier = "worker"
  }
  endpoint {
    name      = "ingress-nginx/clients"
    cidr_ipv4 = ["0.0.0.0/0"]
  }
  endpoint {
    name      = "api-clients"
    cidr_ipv4 = ["0.0.0.0/0"]
  }
"#;

/// Typhoon's add-ons with the opt-in extras its rules stand for (issue 9, point 7): the monitoring flows (option
/// `metrics` of every selected platform that has one; Prometheus on the workers as above) and SSH from anywhere, as
/// Typhoon opens it.
const TYPHOON_EXTRAS: &str = r#"
  platform {
    name = "node-exporter"
  }
  platform {
    name    = "ingress-nginx"
    options = { exposure = "hostnetwork", metrics = "true" }
  }
  platform {
    name = "ssh-admin"
  }
  endpoint {
    name = "prometheus"
    tier = "worker"
  }
  endpoint {
    name      = "ingress-nginx/clients"
    cidr_ipv4 = ["0.0.0.0/0"]
  }
  endpoint {
    name      = "api-clients"
    cidr_ipv4 = ["0.0.0.0/0"]
  }
  endpoint {
    name      = "admin"
    cidr_ipv4 = ["0.0.0.0/0"]
    cidr_ipv6 = ["::/0"]
  }
"#;

const CONFIGURATIONS: &[Configuration] = &[
    Configuration {
        name: "typhoon-aws-flannel",
        inputs: r#"
  platform {
    name = "kubernetes"
  }
  platform {
    name = "flannel"
  }
"#,
    },
    Configuration {
        name: "typhoon-aws-cilium",
        inputs: r#"
  platform {
    name = "kubernetes"
  }
  platform {
    name = "cilium"
  }
"#,
    },
    Configuration {
        name: "typhoon-aws-calico",
        inputs: r#"
  platform {
    name = "kubernetes"
  }
  platform {
    name    = "calico"
    options = { typha = "false" }
  }
"#,
    },
    Configuration {
        name: "typhoon-aws-flannel-extras",
        inputs: r#"
  platform {
    name    = "kubernetes"
    options = { metrics = "true" }
  }
  platform {
    name = "flannel"
  }
"#,
    },
    Configuration {
        name: "typhoon-aws-cilium-extras",
        inputs: r#"
  platform {
    name    = "kubernetes"
    options = { metrics = "true" }
  }
  platform {
    name    = "cilium"
    options = { metrics = "true" }
  }
"#,
    },
    Configuration {
        name: "typhoon-aws-calico-extras",
        inputs: r#"
  platform {
    name    = "kubernetes"
    options = { metrics = "true" }
  }
  platform {
    name    = "calico"
    options = { typha = "false", metrics = "true" }
  }
"#,
    },
    Configuration {
        name: "eks-aws",
        inputs: r#"
  platform {
    name = "kubernetes"
  }
  api_server_port = 443
  pod_network     = "routed"
"#,
    },
];

fn inputs(configuration: &Configuration) -> String {
    if configuration.name.ends_with("-extras") {
        format!("{}{TYPHOON_EXTRAS}", configuration.inputs)
    } else if configuration.name.starts_with("typhoon") {
        format!("{}{TYPHOON_ADDONS}", configuration.inputs)
    } else {
        configuration.inputs.to_string()
    }
}

/// Reads `testdata/peers/NAME.toml`; a configuration `NAME-extras` selects the extras for the same peer file.
fn peer_rules(name: &str) -> Vec<PeerRule> {
    let file = name.strip_suffix("-extras").unwrap_or(name);
    let path = repo_root().join(format!("acceptance-tests/testdata/peers/{file}.toml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let document: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let string = |table: &toml::Table, key: &str| -> String {
        table
            .get(key)
            .and_then(toml::Value::as_str)
            .unwrap_or_else(|| panic!("{name}: {key} missing in {table:?}"))
            .to_string()
    };
    for key in ["repo", "commit", "file"] {
        string(&document, key);
    }
    assert_eq!(string(&document, "commit").len(), 40, "{name}: full commit");
    let groups = document
        .get("groups")
        .and_then(toml::Value::as_table)
        .unwrap_or_else(|| panic!("{name}: [groups]"));
    let tier = |group: &str| -> String {
        groups
            .get(group)
            .and_then(toml::Value::as_str)
            .unwrap_or_else(|| panic!("{name}: group {group} has no tier"))
            .to_string()
    };
    let file = string(&document, "file");
    let entries = document
        .get("rules")
        .and_then(toml::Value::as_array)
        .unwrap_or_else(|| panic!("{name}: [[rules]]"));
    entries
        .iter()
        .map(|entry| {
            let entry = entry.as_table().expect("rule table");
            let number = |key: &str| {
                entry
                    .get(key)
                    .and_then(toml::Value::as_integer)
                    .unwrap_or_else(|| panic!("{name}: {key} in {entry:?}"))
            };
            let group = string(entry, "group");
            let peers = match (entry.get("source"), entry.get("cidrs")) {
                (Some(source), None) => {
                    let source = source.as_str().expect("source is a string");
                    vec![if source == "self" {
                        tier(&group)
                    } else {
                        tier(source)
                    }]
                }
                (None, Some(cidrs)) => cidrs
                    .as_array()
                    .expect("cidrs is a list")
                    .iter()
                    .map(|c| c.as_str().expect("cidr").to_string())
                    .collect(),
                _ => panic!("{name}: a rule needs source or cidrs: {entry:?}"),
            };
            let location = format!(
                "{}:{}",
                entry
                    .get("file")
                    .and_then(toml::Value::as_str)
                    .unwrap_or(&file),
                number("line")
            );
            PeerRule {
                name: string(entry, "name"),
                location,
                tier: tier(&group),
                direction: match string(entry, "direction").as_str() {
                    "ingress" => Direction::Ingress,
                    "egress" => Direction::Egress,
                    other => panic!("{name}: direction {other}"),
                },
                protocol: string(entry, "protocol"),
                from: number("from_port"),
                to: number("to_port"),
                peers,
            }
        })
        .collect()
}

/// Whether a produced rule admits the peer rule's traffic from (or to) `peer`.
fn admits(produced: &Rule, rule: &PeerRule, peer: &str) -> bool {
    let (tier, produced_peer, protocol, from, to) = produced;
    let peer_matches = if peer.contains('/') {
        produced_peer
            .split_once(':')
            .is_some_and(|(_, cidr)| cidr == peer)
    } else {
        produced_peer == peer
    };
    if *tier != rule.tier || !peer_matches {
        return false;
    }
    match rule.protocol.as_str() {
        "tcp" | "udp" => {
            protocol == &rule.protocol
                && from.is_some_and(|f| f <= rule.from)
                && to.is_some_and(|t| t >= rule.to)
        }
        // AWS: from_port is the ICMP type, to_port the code; -1 admits every type (or code).
        "icmp" => protocol == "icmp" && matches!(from, Some(t) if *t == -1 || *t == rule.from),
        other => protocol == other,
    }
}

/// `(configuration, rule name)` pairs the parity guide lists as deliberately tighter.
fn listed_as_tighter() -> BTreeSet<(String, String)> {
    let path = repo_root().join("docs/guides/parity.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .trim()
                .strip_prefix('|')?
                .split('|')
                .map(str::trim)
                .collect();
            let configuration = cells.first()?.strip_prefix('`')?.strip_suffix('`')?;
            let rule = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            CONFIGURATIONS
                .iter()
                .any(|c| c.name == configuration)
                .then(|| (configuration.to_string(), rule.to_string()))
        })
        .collect()
}

#[test]
fn every_peer_rule_is_produced_or_documented_as_tighter() {
    let tighter = listed_as_tighter();
    for terraform in terraforms() {
        let mut not_produced = BTreeSet::new();
        let mut report = BTreeMap::new();
        for configuration in CONFIGURATIONS {
            let main_tf = format!(
                r#"
data "portmatrix_aws_security_group_rules" "peer" {{
{}
}}

output "ingress" {{
  value = data.portmatrix_aws_security_group_rules.peer.ingress
}}

output "egress" {{
  value = data.portmatrix_aws_security_group_rules.peer.egress
}}
"#,
                inputs(configuration)
            );
            let outputs = Workspace::new(terraform, &main_tf).outputs();
            let context = format!(
                "{} under terraform {}",
                configuration.name, terraform.version
            );
            let ingress = rules(&context, &outputs["ingress"]["value"], Direction::Ingress);
            let egress = rules(&context, &outputs["egress"]["value"], Direction::Egress);
            let (mut matched, mut missing) = (0, 0);
            for rule in peer_rules(configuration.name) {
                let produced = match rule.direction {
                    Direction::Ingress => &ingress,
                    Direction::Egress => &egress,
                };
                let covered = rule
                    .peers
                    .iter()
                    .all(|peer| produced.iter().any(|p| admits(p, &rule, peer)));
                if covered {
                    matched += 1;
                } else {
                    missing += 1;
                    not_produced.insert((configuration.name.to_string(), rule.name.clone()));
                    if !tighter.contains(&(configuration.name.to_string(), rule.name.clone())) {
                        panic!(
                            "{context}: {} ({}) {:?} {} {}-{} from {:?} is neither produced nor listed in \
                             docs/guides/parity.md",
                            rule.name, rule.location, rule.direction, rule.protocol, rule.from, rule.to, rule.peers
                        );
                    }
                }
            }
            report.insert(configuration.name, (matched, missing));
        }
        let stale: Vec<&(String, String)> = tighter.difference(&not_produced).collect();
        assert!(
            stale.is_empty(),
            "docs/guides/parity.md lists rules that are produced now (remove them): {stale:?}"
        );
        eprintln!(
            "terraform {}: (matched, not produced) per peer configuration: {report:?}",
            terraform.version
        );
    }
}
