//! Parity with the firewall rules widely used projects write by hand for the same clusters, under every Terraform.
//!
//! The peers' rules are transcribed, with repository, commit, file and line, into `testdata/peers/*.toml` by reading
//! the peers' files at the named commits (never from portmatrix's output). For each peer configuration the test
//! expands the equivalent selection with the data source of the configuration's target
//! (`portmatrix_aws_security_group_rules`, `portmatrix_gcp_firewall_rules` or `portmatrix_azure_nsg_rules`) and
//! checks every peer rule: either the produced rules admit all of its traffic, or `docs/guides/parity.md` lists it,
//! with the reason and the source. The list in the guide must name exactly the peer rules that are not produced, so
//! it cannot rot either way.
//!
//! Both sides are read as grants: one direction, the tier whose group (security group, network tag, application
//! security group) the rule protects, one peer (another tier, a CIDR block, or a name the selection cannot give such
//! as an Azure service tag), one protocol, and a port range (tcp, udp) or ICMP type, or none for the whole protocol.
//! A peer rule is produced when every grant it makes is admitted by a produced grant: same direction, tier and peer,
//! the same protocol (or every protocol) and ports (or types) covering the peer's. A deny rule grants nothing and is
//! never produced: portmatrix writes allow rules only.

mod common;

use common::{rules, Direction};
use portmatrix_acceptance_tests::{repo_root, terraforms, Workspace};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The firewall a configuration is compared on: the data source that expands its selection, and how that data
/// source's output and the peer's file read as grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// `portmatrix_aws_security_group_rules`; peer files list `aws_security_group_rule`s.
    Aws,
    /// `portmatrix_gcp_firewall_rules`; peer files list `google_compute_firewall`s.
    Gcp,
    /// `portmatrix_azure_nsg_rules`; peer files list `azurerm_network_security_rule`s.
    Azure,
}

impl Target {
    fn data_source(self) -> &'static str {
        match self {
            Target::Aws => "portmatrix_aws_security_group_rules",
            Target::Gcp => "portmatrix_gcp_firewall_rules",
            Target::Azure => "portmatrix_azure_nsg_rules",
        }
    }

    /// The data source's attributes the comparison reads.
    fn outputs(self) -> &'static [&'static str] {
        match self {
            Target::Aws => &["ingress", "egress"],
            Target::Gcp => &["rules", "tiers"],
            Target::Azure => &["rules"],
        }
    }

    /// What Typhoon opens to anyone (the API on 6443, ingress-nginx on 80 and 443) and the load balancers' health
    /// checks on this cloud, as `docs/guides/load-balancers.md` tells users to give them.
    fn typhoon_inputs(self) -> String {
        match self {
            // Typhoon's AWS rules from anywhere are IPv4 (0.0.0.0/0).
            Target::Aws => TYPHOON_CLIENTS_IPV4.to_string(),
            // Typhoon's firewall rules from anywhere are IPv4; the workers take health checks on 10256 from
            // Google's health check ranges (network.tf, google-worker-health-checks): the load-balancers endpoint.
            Target::Gcp => format!(
                r#"{TYPHOON_CLIENTS_IPV4}
  endpoint {{
    name      = "load-balancers"
    cidr_ipv4 = ["35.191.0.0/16", "130.211.0.0/22"]
  }}
"#
            ),
            // Typhoon's Azure network is dual stack and its rules from "*" apply to both families; its deny-all
            // rule overrides Azure's default AllowAzureLoadBalancerInBound, so the health probes' address
            // 168.63.129.16 (the service tag AzureLoadBalancer) is the load-balancers endpoint.
            Target::Azure => r#"
  endpoint {
    name      = "ingress-nginx/clients"
    cidr_ipv4 = ["0.0.0.0/0"]
    cidr_ipv6 = ["::/0"]
  }
  endpoint {
    name      = "api-clients"
    cidr_ipv4 = ["0.0.0.0/0"]
    cidr_ipv6 = ["::/0"]
  }
  endpoint {
    name      = "load-balancers"
    cidr_ipv4 = ["168.63.129.16/32"]
  }
"#
            .to_string(),
        }
    }

    /// The grants of the data source's output.
    fn produced(self, context: &str, outputs: &Value) -> Vec<Grant> {
        match self {
            Target::Aws => aws_produced(context, outputs),
            Target::Gcp => gcp_produced(context, outputs),
            Target::Azure => azure_produced(context, outputs),
        }
    }

    /// The peer's rules, from `testdata/peers/NAME.toml`.
    fn peer_rules(self, name: &str) -> Vec<PeerRule> {
        let peer = PeerFile::read(name);
        peer.document
            .get("rules")
            .and_then(toml::Value::as_array)
            .unwrap_or_else(|| panic!("{name}: [[rules]]"))
            .iter()
            .map(|entry| {
                let entry = entry
                    .as_table()
                    .unwrap_or_else(|| panic!("{name}: a rule is not a table: {entry}"));
                match self {
                    Target::Aws => peer.aws_rule(entry),
                    Target::Gcp => peer.gcp_rule(entry),
                    Target::Azure => peer.azure_rule(entry),
                }
            })
            .collect()
    }
}

/// One permission, as both sides are compared.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Grant {
    direction: Direction,
    /// The tier whose group holds the rule: the destination of ingress, the source of egress.
    tier: String,
    /// The other side: a tier, a CIDR block, or a name (such as an Azure service tag).
    peer: String,
    /// `tcp`, `udp`, `icmp`, `58` (ICMPv6), another IP protocol number, or `all`.
    protocol: String,
    /// tcp and udp: the port range; ICMP: the type, as a range of one; `None`: every port, type or the whole
    /// protocol.
    ports: Option<(i64, i64)>,
}

impl Grant {
    fn admits(&self, wanted: &Grant) -> bool {
        self.direction == wanted.direction
            && self.tier == wanted.tier
            && self.peer == wanted.peer
            && (self.protocol == "all"
                || (self.protocol == wanted.protocol
                    && match (self.ports, wanted.ports) {
                        (None, _) => true,
                        (Some((from, to)), Some((wanted_from, wanted_to))) => {
                            from <= wanted_from && wanted_to <= to
                        }
                        (Some(_), None) => false,
                    }))
    }

    fn describe(&self) -> String {
        let ports = match self.ports {
            None => "all".to_string(),
            Some((from, to)) if from == to => from.to_string(),
            Some((from, to)) => format!("{from}-{to}"),
        };
        let (from, to) = match self.direction {
            Direction::Ingress => (&self.peer, &self.tier),
            Direction::Egress => (&self.tier, &self.peer),
        };
        format!("{from} -> {to} {} {ports}", self.protocol)
    }
}

/// One hand-written peer rule, as transcribed, and what it grants.
#[derive(Debug)]
struct PeerRule {
    name: String,
    location: String,
    /// False for a deny rule.
    allows: bool,
    grants: Vec<Grant>,
}

/// A transcribed peer configuration and the selection that stands for it.
struct Configuration {
    /// File stem in testdata/peers (without a suffix `-extras`), also the name the parity guide uses.
    name: &'static str,
    /// The data source the selection is expanded with, and the rule shape of the peer file.
    target: Target,
    /// The data source's inputs for the equivalent selection.
    inputs: &'static str,
}

/// Typhoon's add-ons that its rules open ports for: Prometheus (on the workers) scraping node-exporter, and the
/// nginx ingress controller on the workers' host ports 80 and 443. Who may reach them and the API server, and the
/// load balancers' health checks, differ per cloud: [`Target::typhoon_inputs`].
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
"#;

/// The nginx ingress controller and the API server reached from anywhere, over IPv4.
const TYPHOON_CLIENTS_IPV4: &str = r#"
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
    name      = "admin"
    cidr_ipv4 = ["0.0.0.0/0"]
    cidr_ipv6 = ["::/0"]
  }
"#;

const CONFIGURATIONS: &[Configuration] = &[
    Configuration {
        name: "typhoon-aws-flannel",
        target: Target::Aws,
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
        target: Target::Aws,
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
        target: Target::Aws,
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
        target: Target::Aws,
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
        target: Target::Aws,
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
        target: Target::Aws,
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
        target: Target::Aws,
        inputs: r#"
  platform {
    name = "kubernetes"
  }
  api_server_port = 443
  pod_network     = "routed"
"#,
    },
    // The same peer rules (testdata/peers/eks-aws-managed.toml links to eks-aws.toml) against the eks platform: the
    // control plane is AWS's, an endpoint bound to the cluster security group's tier; AWS's recommended rules.
    Configuration {
        name: "eks-aws-managed",
        target: Target::Aws,
        inputs: r#"
  platform {
    name    = "eks"
    options = { rules = "recommended" }
  }
  endpoint {
    name = "control-plane"
    tier = "master"
  }
  pod_network = "routed"
"#,
    },
    Configuration {
        name: "typhoon-gcp-flannel",
        target: Target::Gcp,
        inputs: r#"
  platform {
    name = "kubernetes"
  }
  platform {
    name = "flannel"
  }
"#,
    },
    // Typhoon opens every ICMP type between the nodes for Cilium; GCP rules cannot name the two types Cilium's
    // table asks for, and "widen" is the documented way to open the whole protocol instead.
    Configuration {
        name: "typhoon-gcp-cilium",
        target: Target::Gcp,
        inputs: r#"
  platform {
    name = "kubernetes"
  }
  platform {
    name = "cilium"
  }
  unsupported_flows = "widen"
"#,
    },
    // Typhoon's Calico on Google Cloud: IP-in-IP and BGP (network.tf's internal-bgp allows "ipip" and 179; the
    // module sets no network_encapsulation), no Typha.
    Configuration {
        name: "typhoon-gcp-calico",
        target: Target::Gcp,
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
        name: "typhoon-azure-flannel",
        target: Target::Azure,
        inputs: r#"
  platform {
    name = "kubernetes"
  }
  platform {
    name = "flannel"
  }
"#,
    },
    // As on GCP: Typhoon opens every ICMP type between the nodes; Azure rules cannot name ICMP types.
    Configuration {
        name: "typhoon-azure-cilium",
        target: Target::Azure,
        inputs: r#"
  platform {
    name = "kubernetes"
  }
  platform {
    name = "cilium"
  }
  unsupported_flows = "widen"
"#,
    },
    // Typhoon's Calico on Azure ran VXLAN (azure/fedora-coreos/kubernetes/bootstrap.tf @a8eae32b:
    // network_encapsulation = "vxlan"), without Typha.
    Configuration {
        name: "typhoon-azure-calico",
        target: Target::Azure,
        inputs: r#"
  platform {
    name = "kubernetes"
  }
  platform {
    name    = "calico"
    options = { typha = "false", encapsulation = "vxlan" }
  }
"#,
    },
];

fn inputs(configuration: &Configuration) -> String {
    if configuration.name.starts_with("typhoon") {
        let addons = if configuration.name.ends_with("-extras") {
            TYPHOON_EXTRAS
        } else {
            TYPHOON_ADDONS
        };
        format!(
            "{}{addons}{}",
            configuration.inputs,
            configuration.target.typhoon_inputs()
        )
    } else {
        configuration.inputs.to_string()
    }
}

/// The normalized protocol: `tcp`, `udp`, `icmp`, `58` for ICMPv6, an IP protocol number, or `all`.
fn protocol(name: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "-1" | "*" | "all" => "all".into(),
        "ipip" => "4".into(),
        "esp" => "50".into(),
        "ah" => "51".into(),
        "sctp" => "132".into(),
        "icmpv6" => "58".into(),
        other => other.into(),
    }
}

/// A port or range as the clouds write it (`6443`, `30000-32767`); `*` is every port.
fn port_range(context: &str, text: &str) -> Option<(i64, i64)> {
    if text == "*" {
        return None;
    }
    let number = |part: &str| -> i64 {
        part.trim()
            .parse()
            .unwrap_or_else(|e| panic!("{context}: port {text:?}: {e}"))
    };
    Some(match text.split_once('-') {
        Some((from, to)) => (number(from), number(to)),
        None => (number(text), number(text)),
    })
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// AWS: the `ingress` and `egress` maps, checked by `common::rules`. A peer is a tier or `endpoints:address`.
fn aws_produced(context: &str, outputs: &Value) -> Vec<Grant> {
    let mut grants = Vec::new();
    for (direction, output) in [
        (Direction::Ingress, "ingress"),
        (Direction::Egress, "egress"),
    ] {
        for (tier, peer, ip_protocol, from, to) in
            rules(context, &outputs[output]["value"], direction)
        {
            let protocol = protocol(&ip_protocol);
            let ports = match (protocol.as_str(), from, to) {
                ("tcp" | "udp", Some(from), Some(to)) => Some((from, to)),
                ("icmp" | "58", Some(icmp_type), _) if icmp_type != -1 => {
                    Some((icmp_type, icmp_type))
                }
                _ => None,
            };
            let peer = peer
                .split_once(':')
                .map_or(peer.clone(), |(_, address)| address.to_string());
            grants.push(Grant {
                direction,
                tier,
                peer,
                protocol,
                ports,
            });
        }
    }
    grants
}

/// GCP: each rule targets one tier's network tag; ingress names the source by tag or `source_ranges`, egress the
/// destination by `destination_ranges`; one grant per allow block and port range.
fn gcp_produced(context: &str, outputs: &Value) -> Vec<Grant> {
    let tiers: BTreeMap<String, String> = outputs["tiers"]["value"]
        .as_object()
        .unwrap_or_else(|| panic!("{context}: tiers is not a map"))
        .iter()
        .map(|(tier, value)| {
            let tag = value["network_tag"]
                .as_str()
                .unwrap_or_else(|| panic!("{context}: tier {tier} has no network tag: {value}"));
            (tag.to_string(), tier.clone())
        })
        .collect();
    let tier_of = |tag: &str| -> String {
        tiers
            .get(tag)
            .unwrap_or_else(|| panic!("{context}: no tier has the tag {tag}"))
            .clone()
    };
    let mut grants = Vec::new();
    let map = outputs["rules"]["value"]
        .as_object()
        .unwrap_or_else(|| panic!("{context}: rules is not a map"));
    for (key, value) in map {
        let targets = strings(&value["target_tags"]);
        let [target] = targets.as_slice() else {
            panic!("{context}: {key}: one target tag: {value}");
        };
        let (direction, peers) = match value["direction"].as_str() {
            Some("INGRESS") => {
                let tags = strings(&value["source_tags"]);
                let peers = if tags.is_empty() {
                    strings(&value["source_ranges"])
                } else {
                    tags.iter().map(|tag| tier_of(tag)).collect()
                };
                (Direction::Ingress, peers)
            }
            Some("EGRESS") => (Direction::Egress, strings(&value["destination_ranges"])),
            _ => panic!("{context}: {key}: direction: {value}"),
        };
        assert!(!peers.is_empty(), "{context}: {key} has no peer: {value}");
        let allow = value["allow"]
            .as_array()
            .unwrap_or_else(|| panic!("{context}: {key}: allow is not a list"));
        for block in allow {
            let protocol = protocol(block["protocol"].as_str().unwrap_or_default());
            let ranges: Vec<Option<(i64, i64)>> = if block["ports"].is_null() {
                vec![None]
            } else {
                strings(&block["ports"])
                    .iter()
                    .map(|ports| port_range(context, ports))
                    .collect()
            };
            for peer in &peers {
                for ports in &ranges {
                    grants.push(Grant {
                        direction,
                        tier: tier_of(target),
                        peer: peer.clone(),
                        protocol: protocol.clone(),
                        ports: *ports,
                    });
                }
            }
        }
    }
    grants
}

/// Azure: each rule protects `tier`; the other side is a tier's application security group or an endpoint's
/// address prefixes; one grant per destination port range (`*` is every port).
fn azure_produced(context: &str, outputs: &Value) -> Vec<Grant> {
    let mut grants = Vec::new();
    let map = outputs["rules"]["value"]
        .as_object()
        .unwrap_or_else(|| panic!("{context}: rules is not a map"));
    for (key, value) in map {
        let tier = value["tier"]
            .as_str()
            .unwrap_or_else(|| panic!("{context}: {key} has no tier: {value}"))
            .to_string();
        let (direction, side) = match value["direction"].as_str() {
            Some("Inbound") => (Direction::Ingress, "source"),
            Some("Outbound") => (Direction::Egress, "destination"),
            _ => panic!("{context}: {key}: direction: {value}"),
        };
        let peers = match value[format!("{side}_tier")].as_str() {
            Some(peer_tier) => vec![peer_tier.to_string()],
            None => strings(&value[format!("{side}_address_prefixes")]),
        };
        assert!(!peers.is_empty(), "{context}: {key} has no peer: {value}");
        let protocol = protocol(value["protocol"].as_str().unwrap_or_default());
        let ranges: Vec<Option<(i64, i64)>> = match value["destination_port_range"].as_str() {
            Some("*") => vec![None],
            _ => strings(&value["destination_port_ranges"])
                .iter()
                .map(|ports| port_range(context, ports))
                .collect(),
        };
        assert!(!ranges.is_empty(), "{context}: {key} has no ports: {value}");
        for peer in &peers {
            for ports in &ranges {
                grants.push(Grant {
                    direction,
                    tier: tier.clone(),
                    peer: peer.clone(),
                    protocol: protocol.clone(),
                    ports: *ports,
                });
            }
        }
    }
    grants
}

/// A peer file: `repo`, `commit`, `file`, `[groups]` (the peer's groups and the tiers standing for them) and
/// `[[rules]]` in the shape of the peer's resources.
struct PeerFile {
    name: String,
    document: toml::Table,
}

impl PeerFile {
    fn read(name: &str) -> PeerFile {
        // A configuration NAME-extras selects the opt-in extras against the same peer file.
        let file = name.strip_suffix("-extras").unwrap_or(name);
        let path = repo_root().join(format!("acceptance-tests/testdata/peers/{file}.toml"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let document: toml::Table = text
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let peer = PeerFile {
            name: name.to_string(),
            document,
        };
        for key in ["repo", "commit", "file"] {
            peer.string(&peer.document, key);
        }
        assert_eq!(
            peer.string(&peer.document, "commit").len(),
            40,
            "{name}: full commit"
        );
        peer
    }

    fn string(&self, table: &toml::Table, key: &str) -> String {
        table
            .get(key)
            .and_then(toml::Value::as_str)
            .unwrap_or_else(|| panic!("{}: {key} missing in {table:?}", self.name))
            .to_string()
    }

    fn strings(&self, table: &toml::Table, key: &str) -> Vec<String> {
        table
            .get(key)
            .and_then(toml::Value::as_array)
            .unwrap_or_else(|| panic!("{}: {key} is not a list in {table:?}", self.name))
            .iter()
            .map(|item| {
                item.as_str()
                    .unwrap_or_else(|| panic!("{}: {key}: {item} is not a string", self.name))
                    .to_string()
            })
            .collect()
    }

    fn number(&self, table: &toml::Table, key: &str) -> i64 {
        table
            .get(key)
            .and_then(toml::Value::as_integer)
            .unwrap_or_else(|| panic!("{}: {key} in {table:?}", self.name))
    }

    /// The tier standing for one of the peer's groups.
    fn tier(&self, group: &str) -> String {
        self.document
            .get("groups")
            .and_then(toml::Value::as_table)
            .and_then(|groups| groups.get(group))
            .and_then(toml::Value::as_str)
            .unwrap_or_else(|| panic!("{}: group {group} has no tier in [groups]", self.name))
            .to_string()
    }

    fn location(&self, entry: &toml::Table) -> String {
        format!(
            "{}:{}",
            entry
                .get("file")
                .and_then(toml::Value::as_str)
                .unwrap_or(&self.string(&self.document, "file")),
            self.number(entry, "line")
        )
    }

    fn direction(&self, entry: &toml::Table) -> Direction {
        match self.string(entry, "direction").as_str() {
            "ingress" | "inbound" => Direction::Ingress,
            "egress" | "outbound" => Direction::Egress,
            other => panic!("{}: direction {other}", self.name),
        }
    }

    /// An `aws_security_group_rule`: `group`, `direction`, `protocol`, `from_port` and `to_port` as written (ICMP:
    /// from_port is the type), and `source` (`self` or a group) or `cidrs`.
    fn aws_rule(&self, entry: &toml::Table) -> PeerRule {
        let group = self.string(entry, "group");
        let peers = match (entry.get("source"), entry.get("cidrs")) {
            (Some(_), None) => {
                let source = self.string(entry, "source");
                vec![self.tier(if source == "self" { &group } else { &source })]
            }
            (None, Some(_)) => self.strings(entry, "cidrs"),
            _ => panic!("{}: a rule needs source or cidrs: {entry:?}", self.name),
        };
        let protocol = protocol(&self.string(entry, "protocol"));
        let (from, to) = (
            self.number(entry, "from_port"),
            self.number(entry, "to_port"),
        );
        let ports = match protocol.as_str() {
            "tcp" | "udp" => Some((from, to)),
            "icmp" | "58" if from != -1 => Some((from, from)),
            _ => None,
        };
        let direction = self.direction(entry);
        PeerRule {
            name: self.string(entry, "name"),
            location: self.location(entry),
            allows: true,
            grants: peers
                .into_iter()
                .map(|peer| Grant {
                    direction,
                    tier: self.tier(&group),
                    peer,
                    protocol: protocol.clone(),
                    ports,
                })
                .collect(),
        }
    }

    /// A `google_compute_firewall`: `targets` (groups), `sources` (groups) or `source_ranges`, and `allow`
    /// blocks of `protocol` and `ports` as written (each port its own grant).
    fn gcp_rule(&self, entry: &toml::Table) -> PeerRule {
        let peers = match (entry.get("sources"), entry.get("source_ranges")) {
            (Some(_), None) => self
                .strings(entry, "sources")
                .iter()
                .map(|group| self.tier(group))
                .collect(),
            (None, Some(_)) => self.strings(entry, "source_ranges"),
            _ => panic!(
                "{}: a rule needs sources or source_ranges: {entry:?}",
                self.name
            ),
        };
        let direction = self.direction(entry);
        let mut grants = Vec::new();
        let allow = entry
            .get("allow")
            .and_then(toml::Value::as_array)
            .unwrap_or_else(|| panic!("{}: allow in {entry:?}", self.name));
        for block in allow {
            let block = block
                .as_table()
                .unwrap_or_else(|| panic!("{}: allow block {block}", self.name));
            let protocol = protocol(&self.string(block, "protocol"));
            let ports: Vec<Option<(i64, i64)>> = match block.get("ports") {
                None => vec![None],
                Some(ports) => ports
                    .as_array()
                    .unwrap_or_else(|| panic!("{}: ports {ports}", self.name))
                    .iter()
                    .map(|port| {
                        let port = port
                            .as_integer()
                            .unwrap_or_else(|| panic!("{}: port {port}", self.name));
                        Some((port, port))
                    })
                    .collect(),
            };
            for target in self.strings(entry, "targets") {
                for peer in &peers {
                    for ports in &ports {
                        let grant = Grant {
                            direction,
                            tier: self.tier(&target),
                            peer: peer.clone(),
                            protocol: protocol.clone(),
                            ports: *ports,
                        };
                        if !grants.contains(&grant) {
                            grants.push(grant);
                        }
                    }
                }
            }
        }
        PeerRule {
            name: self.string(entry, "name"),
            location: self.location(entry),
            allows: true,
            grants,
        }
    }

    /// An `azurerm_network_security_rule`: `nsg` (the group whose subnet it protects), `access`, `protocol`,
    /// `destination_port_range`, and `source` and `destination` as written, resolved through `[addresses]`
    /// (tiers, CIDR blocks or a service tag). The destination must be the NSG's own subnet or `*`.
    fn azure_rule(&self, entry: &toml::Table) -> PeerRule {
        let name = self.string(entry, "name");
        let tier = self.tier(&self.string(entry, "nsg"));
        let addresses = |key: &str| -> Vec<String> {
            let written = self.string(entry, key);
            let address = self
                .document
                .get("addresses")
                .and_then(toml::Value::as_table)
                .and_then(|addresses| addresses.get(&written))
                .and_then(toml::Value::as_table)
                .unwrap_or_else(|| panic!("{}: {written} is not in [addresses]", self.name));
            match address.keys().next().map(String::as_str) {
                Some("tiers") => self.strings(address, "tiers"),
                Some("cidrs") => self.strings(address, "cidrs"),
                Some("service_tag") => vec![self.string(address, "service_tag")],
                _ => panic!("{}: address {written}: {address:?}", self.name),
            }
        };
        let destination = self.string(entry, "destination");
        assert!(
            destination == "*" || addresses("destination") == [tier.clone()],
            "{}: {name}: the destination {destination} is not the subnet of the rule's NSG",
            self.name
        );
        let protocol = protocol(&self.string(entry, "protocol"));
        let ports = port_range(&self.name, &self.string(entry, "destination_port_range"));
        let direction = self.direction(entry);
        let allows = match self.string(entry, "access").as_str() {
            "allow" => true,
            "deny" => false,
            other => panic!("{}: {name}: access {other}", self.name),
        };
        PeerRule {
            name,
            location: self.location(entry),
            allows,
            grants: addresses("source")
                .into_iter()
                .map(|peer| Grant {
                    direction,
                    tier: tier.clone(),
                    peer,
                    protocol: protocol.clone(),
                    ports,
                })
                .collect(),
        }
    }
}

/// A row of the parity guide's table: the peer line it names (`security.tf:40`) and its kind (`tighter`, `gap`,
/// `deny`).
struct Listed {
    line: String,
    kind: String,
}

/// `(configuration, rule name)` pairs the parity guide lists.
fn listed_in_guide() -> BTreeMap<(String, String), Listed> {
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
            let listed = Listed {
                line: cells.get(2)?.to_string(),
                kind: cells.get(3)?.to_string(),
            };
            CONFIGURATIONS
                .iter()
                .any(|c| c.name == configuration)
                .then(|| ((configuration.to_string(), rule.to_string()), listed))
        })
        .collect()
}

fn main_tf(configuration: &Configuration) -> String {
    let data_source = configuration.target.data_source();
    let mut hcl = format!(
        "data \"{data_source}\" \"peer\" {{\n{}\n}}\n",
        inputs(configuration)
    );
    for output in configuration.target.outputs() {
        hcl.push_str(&format!(
            "\noutput \"{output}\" {{\n  value = data.{data_source}.peer.{output}\n}}\n"
        ));
    }
    hcl
}

#[test]
fn every_peer_rule_is_produced_or_documented_as_tighter() {
    let listed = listed_in_guide();
    for terraform in terraforms() {
        let mut not_produced = BTreeSet::new();
        let mut report = BTreeMap::new();
        for configuration in CONFIGURATIONS {
            let outputs = Workspace::new(terraform, &main_tf(configuration)).outputs();
            let context = format!(
                "{} under terraform {}",
                configuration.name, terraform.version
            );
            let produced = configuration.target.produced(&context, &outputs);
            let mut matched = 0;
            let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
            for rule in configuration.target.peer_rules(configuration.name) {
                let missing: Vec<&Grant> = rule
                    .grants
                    .iter()
                    .filter(|wanted| !produced.iter().any(|p| p.admits(wanted)))
                    .collect();
                if rule.allows && missing.is_empty() {
                    matched += 1;
                    continue;
                }
                let key = (configuration.name.to_string(), rule.name.clone());
                let Some(row) = listed.get(&key) else {
                    let what = if rule.allows {
                        let missing: Vec<String> = missing.iter().map(|g| g.describe()).collect();
                        format!("not admitted: {}", missing.join("; "))
                    } else {
                        "a deny rule".to_string()
                    };
                    panic!(
                        "{context}: {} ({}) is neither produced nor listed in docs/guides/parity.md ({what})",
                        rule.name, rule.location
                    );
                };
                assert!(
                    rule.location.ends_with(&format!("/{}", row.line)) || rule.location == row.line,
                    "docs/guides/parity.md: {} of {} is at {}, not {}",
                    rule.name,
                    configuration.name,
                    rule.location,
                    row.line
                );
                *kinds.entry(row.kind.clone()).or_default() += 1;
                not_produced.insert(key);
            }
            report.insert(configuration.name, (matched, kinds));
        }
        let stale: Vec<&(String, String)> = listed
            .keys()
            .filter(|key| !not_produced.contains(*key))
            .collect();
        assert!(
            stale.is_empty(),
            "docs/guides/parity.md lists rules that are produced now, or that no peer file has (remove them): \
             {stale:?}"
        );
        eprintln!(
            "terraform {}: matched and not produced by kind, per peer configuration: {report:?}",
            terraform.version
        );
    }
}
