//! The validated catalog model: one [`Release`] per catalog document.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use super::version::{NewestRead, VersionRange};

/// One platform's port table over one range of versions (one catalog document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    /// Name, title and version range of the platform.
    pub platform: PlatformInfo,
    /// File name of a built-in document, or the user origin (e.g. `user_catalogs[0]`).
    pub origin: String,
    /// Documents the table was read from.
    pub sources: Vec<Source>,
    /// Values the user supplies (placeholders in the sources).
    pub parameters: Vec<Parameter>,
    /// Places outside the cluster that the tables name.
    pub endpoints: Vec<Endpoint>,
    /// Conditions the user chooses.
    pub options: Vec<OptionSpec>,
    /// Components or node classes.
    pub roles: Vec<Role>,
    /// Network flows, in file order.
    pub flows: Vec<Flow>,
    /// Loopback-only listeners: documented, never turned into flows.
    pub loopback: Vec<Loopback>,
    /// Table rows of a source that are deliberately not flows, with the reason.
    pub not_flows: Vec<NotFlow>,
    /// Where sources disagree and how it was settled.
    pub disagreements: Vec<Disagreement>,
}

/// The `[platform]` table of a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlatformInfo {
    /// The name users select (`[a-z0-9][a-z0-9-]*`).
    pub name: String,
    /// Human-readable name.
    pub title: String,
    /// The versions this release covers.
    pub versions: VersionRange,
    /// Why the range is what it is (e.g. an unversioned upstream page).
    pub version_note: Option<String>,
    /// The newest version whose documentation was read; versions above it get a warning.
    pub newest_read: Option<NewestRead>,
    /// One-line description of the platform.
    pub summary: String,
}

/// A document a release was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// Identifier that flows cite.
    pub id: String,
    /// Title of the document.
    pub document: String,
    /// Where it can be read (pinned to a commit where possible).
    pub url: String,
    /// Versions of the platform the document describes.
    pub version: String,
    /// Date of the document or commit.
    pub date: String,
    /// File in `shared/seeds` this source was read from, if any.
    pub seed: Option<String>,
}

/// A value the user supplies, e.g. a port the source leaves open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Parameter {
    /// Parameter name, referenced by `port_parameter`.
    pub name: String,
    /// What the value means, quoting the source.
    pub description: String,
    /// Default port, only when the source itself states it.
    pub default: Option<u16>,
}

/// A place outside the cluster (the user gives its CIDRs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// Name, unique across roles and endpoints.
    pub name: String,
    /// Human-readable name.
    pub title: String,
    /// What the endpoint is.
    pub description: String,
    /// Names this endpoint had in earlier catalogs (an endpoint split in two lists the old name in both), so
    /// that an endpoint block still using one gets a diagnostic saying what to write instead.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub formerly: Vec<String>,
}

/// A condition users choose; flows may depend on it through `when`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptionSpec {
    /// Option name.
    pub name: String,
    /// What the option means.
    pub description: String,
    /// Allowed values (`"true"`/`"false"` for flags).
    pub values: Vec<String>,
    /// The value used when the user chooses none; one of `values`.
    pub default: String,
}

/// Where a role's traffic originates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// The role runs on the pod network.
    Pod,
    /// Node (host network) traffic.
    Host,
}

/// Default placement of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Control-plane nodes.
    Master,
    /// Worker nodes.
    Worker,
    /// Load balancers in front of the cluster.
    Lb,
    /// Machines outside the cluster.
    External,
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Network::Pod => "pod",
            Network::Host => "host",
        })
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tier::Master => "master",
            Tier::Worker => "worker",
            Tier::Lb => "lb",
            Tier::External => "external",
        })
    }
}

/// A component or node class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    /// Name, unique across roles and endpoints.
    pub name: String,
    /// Human-readable name.
    pub title: String,
    /// Pod network or host network.
    pub network: Network,
    /// Default placement.
    pub tiers: Vec<Tier>,
    /// Namespace of the role's pods (pod roles only).
    pub namespace: Option<String>,
    /// Pod labels that select the role's pods (pod roles only; empty = none given).
    pub selector: BTreeMap<String, String>,
    /// The role stands for every pod of the cluster, in every namespace (pod roles only): the clients of a
    /// cluster service such as DNS. It has no namespace or selector of its own.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub every_pod: bool,
    /// What the role is.
    pub description: String,
}

/// One network flow from a role/endpoint to a role/endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flow {
    /// Initiating role or endpoint.
    pub from: String,
    /// Receiving role or endpoint.
    pub to: String,
    /// Transport or IP protocol.
    pub protocol: Protocol,
    /// Destination ports.
    pub ports: PortSpec,
    /// ICMP types (icmp/icmpv6 only); empty = all types.
    pub icmp_types: Vec<u8>,
    /// What the flow is for.
    pub purpose: String,
    /// The `Source::id` the rows come from.
    pub source: String,
    /// Verbatim source rows.
    pub rows: Vec<String>,
    /// Options the flow depends on: every named option must have one of the listed values.
    pub when: BTreeMap<String, Vec<String>>,
    /// Narrower version range inside the release's range.
    pub versions: Option<VersionRange>,
    /// Interpretation, asymmetry, disagreement.
    pub note: Option<String>,
}

/// A loopback-only listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Loopback {
    /// The role that listens.
    pub role: String,
    /// Transport or IP protocol.
    pub protocol: Protocol,
    /// Listening ports.
    pub ports: PortSpec,
    /// What the listener is for.
    pub purpose: String,
    /// The `Source::id` the rows come from.
    pub source: String,
    /// Verbatim source rows.
    pub rows: Vec<String>,
}

/// Table rows of a source that name no traffic between peers (a port only a local redirect reaches, a table of
/// someone else's ports): cited so that `catalog verify` knows they were read, never turned into flows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotFlow {
    /// The `Source::id` the rows come from.
    pub source: String,
    /// Verbatim source rows.
    pub rows: Vec<String>,
    /// Why the rows are not flows.
    pub reason: String,
}

/// A disagreement between sources (or within one) and how it was settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    /// Short title.
    pub topic: String,
    /// The disagreement and its settlement.
    pub text: String,
}

/// A transport protocol or an IP protocol number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
    /// ICMP (IPv4).
    Icmp,
    /// ICMPv6.
    Icmpv6,
    /// Any other IP protocol by number (4 = IP-in-IP, 50 = ESP, 47 = GRE).
    Number(u8),
}

impl Protocol {
    /// Whether flows of this protocol have ports (tcp, udp, sctp).
    pub(crate) fn has_ports(self) -> bool {
        matches!(self, Protocol::Tcp | Protocol::Udp | Protocol::Sctp)
    }

    /// Whether flows of this protocol may name ICMP types (icmp, icmpv6).
    pub(crate) fn is_icmp(self) -> bool {
        matches!(self, Protocol::Icmp | Protocol::Icmpv6)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protocol::Tcp => f.write_str("tcp"),
            Protocol::Udp => f.write_str("udp"),
            Protocol::Sctp => f.write_str("sctp"),
            Protocol::Icmp => f.write_str("icmp"),
            Protocol::Icmpv6 => f.write_str("icmpv6"),
            Protocol::Number(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for Protocol {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Why a protocol text was rejected; the message says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseProtocolError(String);

impl FromStr for Protocol {
    type Err = ParseProtocolError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let named = |name: &str| {
            ParseProtocolError(format!("protocol {text:?} is {name}: write \"{name}\""))
        };
        match text {
            "tcp" => Ok(Protocol::Tcp),
            "udp" => Ok(Protocol::Udp),
            "sctp" => Ok(Protocol::Sctp),
            "icmp" => Ok(Protocol::Icmp),
            "icmpv6" => Ok(Protocol::Icmpv6),
            "6" => Err(named("tcp")),
            "17" => Err(named("udp")),
            "132" => Err(named("sctp")),
            "1" => Err(named("icmp")),
            "58" => Err(named("icmpv6")),
            _ if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
                match text.parse::<u8>() {
                    Ok(n) if n.to_string() == text => Ok(Protocol::Number(n)),
                    _ => Err(ParseProtocolError(format!(
                        "protocol {text:?} is not an IP protocol number: write 0..=255 without leading zeros"
                    ))),
                }
            }
            _ => Err(ParseProtocolError(protocol_hint(text))),
        }
    }
}

fn protocol_hint(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let hint = match lower.as_str() {
        "ipip" | "ip-in-ip" | "ipinip" | "ip_in_ip" | "ipencap" => {
            "write \"4\" for IP-in-IP".to_owned()
        }
        "esp" | "ipsec" => "write \"50\" for ESP".to_owned(),
        "gre" => "write \"47\" for GRE".to_owned(),
        "icmp6" | "ipv6-icmp" | "icmp-v6" => "write \"icmpv6\"".to_owned(),
        "tcp" | "udp" | "sctp" | "icmp" | "icmpv6" => format!("write {lower:?} in lower case"),
        "any" | "all" | "*" => "a flow names one protocol; write one flow per protocol".to_owned(),
        _ => "expected tcp, udp, sctp, icmp, icmpv6 or an IP protocol number such as \"4\""
            .to_owned(),
    };
    format!("unknown protocol {text:?}; {hint}")
}

/// An inclusive port range; a single port has `from == to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortRange {
    /// First port.
    pub from: u16,
    /// Last port (inclusive).
    pub to: u16,
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

impl Serialize for PortRange {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl FromStr for PortRange {
    type Err = String;

    /// Parses `"8500"` or `"10000-30000"` (1 <= from <= to <= 65535, decimal digits only).
    fn from_str(text: &str) -> Result<Self, String> {
        let port = |part: &str| -> Result<u16, String> {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "invalid port {text:?}: write a port \"8500\" or a range \"10000-30000\""
                ));
            }
            match part.parse::<u32>() {
                Ok(n @ 1..=65535) => u16::try_from(n).map_err(|e| e.to_string()),
                _ => Err(format!("port {part:?} in {text:?} is outside 1..=65535")),
            }
        };
        let (from, to) = match text.split_once('-') {
            Some((a, b)) => (port(a)?, port(b)?),
            None => {
                let p = port(text)?;
                (p, p)
            }
        };
        if from > to {
            return Err(format!("port range {text:?} ends before it starts"));
        }
        Ok(PortRange { from, to })
    }
}

/// The destination ports of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PortSpec {
    /// Protocols without ports (icmp, IP protocol numbers).
    All,
    /// Single ports and inclusive ranges, in file order.
    Ranges(Vec<PortRange>),
    /// The port is the value of this user parameter.
    Parameter(String),
}

impl PortSpec {
    /// Compact text: `"8500,8501"`, `"10000-30000"`, `"${apiserver_port}"` or `"all"`.
    pub fn describe(&self) -> String {
        match self {
            PortSpec::All => "all".to_owned(),
            PortSpec::Ranges(ranges) => ranges
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
            PortSpec::Parameter(name) => format!("${{{name}}}"),
        }
    }

    /// One text per port item: each range, the `${parameter}`, or `all`.
    pub(crate) fn items(&self) -> Vec<String> {
        match self {
            PortSpec::Ranges(ranges) => ranges.iter().map(ToString::to_string).collect(),
            other => vec![other.describe()],
        }
    }
}

/// Text of a flow's port item(s) with ICMP types appended (`"all types=0,8"`).
pub(crate) fn port_items(flow: &Flow) -> Vec<String> {
    let mut items = flow.ports.items();
    if !flow.icmp_types.is_empty() {
        let types = flow
            .icmp_types
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        for item in &mut items {
            item.push_str(&format!(" types={types}"));
        }
    }
    items
}

/// A flow as compact lines for row-by-row tests: `"from -> to proto ports"`, one line per port range, e.g.
/// `"longhorn-manager -> instance-manager tcp 8500"`, `"node -> node 4 all"`,
/// `"node -> node icmp all types=0,8"`, `"longhorn-manager -> backupstore tcp ${backupstore_port}"`.
pub fn flow_lines(flow: &Flow) -> Vec<String> {
    port_items(flow)
        .into_iter()
        .map(|item| format!("{} -> {} {} {}", flow.from, flow.to, flow.protocol, item))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(protocol: Protocol, ports: PortSpec, icmp_types: Vec<u8>) -> Flow {
        Flow {
            from: "a".into(),
            to: "b".into(),
            protocol,
            ports,
            icmp_types,
            purpose: "p".into(),
            source: "s".into(),
            rows: vec!["r".into()],
            when: BTreeMap::new(),
            versions: None,
            note: None,
        }
    }

    #[test]
    fn protocol_text_rules() {
        for (text, p) in [
            ("tcp", Protocol::Tcp),
            ("udp", Protocol::Udp),
            ("sctp", Protocol::Sctp),
            ("icmp", Protocol::Icmp),
            ("icmpv6", Protocol::Icmpv6),
            ("4", Protocol::Number(4)),
            ("50", Protocol::Number(50)),
            ("0", Protocol::Number(0)),
            ("255", Protocol::Number(255)),
        ] {
            assert_eq!(text.parse::<Protocol>().unwrap(), p);
            assert_eq!(p.to_string(), text);
        }
        assert_eq!(
            "6".parse::<Protocol>().unwrap_err().to_string(),
            "protocol \"6\" is tcp: write \"tcp\""
        );
        for (num, name) in [
            ("17", "udp"),
            ("1", "icmp"),
            ("58", "icmpv6"),
            ("132", "sctp"),
        ] {
            assert!(num
                .parse::<Protocol>()
                .unwrap_err()
                .to_string()
                .contains(&format!("write \"{name}\"")));
        }
        assert_eq!(
            "ipip".parse::<Protocol>().unwrap_err().to_string(),
            "unknown protocol \"ipip\"; write \"4\" for IP-in-IP"
        );
        assert!("esp"
            .parse::<Protocol>()
            .unwrap_err()
            .to_string()
            .contains("\"50\""));
        assert!("TCP"
            .parse::<Protocol>()
            .unwrap_err()
            .to_string()
            .contains("lower case"));
        assert!("256".parse::<Protocol>().is_err());
        assert!("04".parse::<Protocol>().is_err());
        assert!("".parse::<Protocol>().is_err());
        assert!(Protocol::Udp.has_ports() && !Protocol::Number(4).has_ports());
        assert!(Protocol::Icmpv6.is_icmp() && !Protocol::Tcp.is_icmp());
    }

    #[test]
    fn port_ranges() {
        assert_eq!(
            "8500".parse::<PortRange>().unwrap(),
            PortRange {
                from: 8500,
                to: 8500
            }
        );
        assert_eq!(
            "10000-30000".parse::<PortRange>().unwrap(),
            PortRange {
                from: 10000,
                to: 30000
            }
        );
        assert_eq!(
            "1-65535".parse::<PortRange>().unwrap().to_string(),
            "1-65535"
        );
        for bad in [
            "0",
            "65536",
            "30000-10000",
            "",
            "-",
            "8500-",
            " 8500",
            "85 00",
            "+1",
            "1-2-3",
            "99999999999",
        ] {
            assert!(bad.parse::<PortRange>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn describe_and_flow_lines() {
        let ranges = PortSpec::Ranges(vec![
            PortRange {
                from: 8500,
                to: 8500,
            },
            PortRange {
                from: 8501,
                to: 8501,
            },
        ]);
        assert_eq!(ranges.describe(), "8500,8501");
        assert_eq!(
            PortSpec::Parameter("apiserver_port".into()).describe(),
            "${apiserver_port}"
        );
        assert_eq!(PortSpec::All.describe(), "all");
        assert_eq!(
            flow_lines(&flow(Protocol::Tcp, ranges, vec![])),
            ["a -> b tcp 8500", "a -> b tcp 8501"]
        );
        let wide = PortSpec::Ranges(vec![PortRange {
            from: 10000,
            to: 30000,
        }]);
        assert_eq!(
            flow_lines(&flow(Protocol::Udp, wide, vec![])),
            ["a -> b udp 10000-30000"]
        );
        assert_eq!(
            flow_lines(&flow(Protocol::Number(4), PortSpec::All, vec![])),
            ["a -> b 4 all"]
        );
        assert_eq!(
            flow_lines(&flow(Protocol::Icmp, PortSpec::All, vec![0, 8])),
            ["a -> b icmp all types=0,8"]
        );
        let param = PortSpec::Parameter("backupstore_port".into());
        assert_eq!(
            flow_lines(&flow(Protocol::Tcp, param, vec![])),
            ["a -> b tcp ${backupstore_port}"]
        );
    }

    #[test]
    fn serializes_compactly() {
        let f = flow(Protocol::Number(50), PortSpec::All, vec![]);
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["protocol"], "50");
        assert_eq!(json["ports"], "all");
        let ranges = PortSpec::Ranges(vec![PortRange { from: 1, to: 2 }]);
        assert_eq!(
            serde_json::to_value(&ranges).unwrap(),
            serde_json::json!({"ranges": ["1-2"]})
        );
        assert_eq!(
            serde_json::to_value(PortSpec::Parameter("x".into())).unwrap(),
            serde_json::json!({"parameter": "x"})
        );
        assert_eq!(serde_json::to_value(Tier::Lb).unwrap(), "lb");
        assert_eq!(serde_json::to_value(Network::Host).unwrap(), "host");
    }
}
