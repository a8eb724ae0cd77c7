//! What the user asks the engine for, and how input errors point back at it.

use crate::catalog::Selection;
use crate::spelled::spelled;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// A selection of platforms expanded onto the user's tiers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpansionRequest {
    /// Platforms with versions and options, in the user's order.
    pub platforms: Vec<Selection>,
    /// The user's tiers; empty means the default `master`, `worker` and `lb` tiers.
    pub tiers: Vec<TierSpec>,
    /// Addresses for the catalogs' endpoints (and for roles that run outside the cluster).
    pub endpoints: Vec<EndpointSpec>,
    /// Values for the catalogs' port parameters, by name.
    pub parameters: BTreeMap<String, i64>,
    /// The port the Kubernetes API server listens on, for the API server rows of every platform; `None` takes
    /// the default the selected platforms' sources state.
    pub api_server_port: Option<i64>,
    /// How pod traffic crosses the network between nodes.
    pub pod_network: PodNetwork,
    /// The user's own flows, beside the catalogs' (provenance "user-defined").
    pub extra_flows: Vec<ExtraFlowSpec>,
}

/// A platform block of a selection as the data sources take it and a selection file writes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformBlock {
    /// The platform's name.
    pub name: String,
    /// The version asked for.
    #[serde(default)]
    pub version: Option<String>,
    /// The platform's options.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

impl From<PlatformBlock> for Selection {
    fn from(block: PlatformBlock) -> Self {
        Selection {
            platform: block.name,
            version: block.version,
            options: block.options,
        }
    }
}

/// A flow the user adds without writing a catalog document: validated like a catalog flow, cited as
/// user-defined. Read from an `extra_flow` block.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraFlowSpec {
    /// Where traffic comes from: one of the user's tiers, an endpoint block, or a role (`platform/role`).
    pub from: String,
    /// Where traffic goes, named like `from`.
    pub to: String,
    /// `tcp`, `udp`, `sctp`, `icmp`, `icmpv6` or an IP protocol number, as in catalogs.
    pub protocol: String,
    /// Ports and ranges (`"22"`, `"8000-8100"`) for tcp, udp and sctp; none for other protocols.
    #[serde(default)]
    pub ports: Vec<String>,
    /// What the traffic is for; it becomes the rules' purpose.
    pub description: String,
}

/// One tier: a group of machines sharing firewall rules (a security group, a network tag, ...). Read from a
/// `tier` block.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierSpec {
    /// The tier's name, used in rule keys.
    pub name: String,
    /// Roles placed on this tier (`platform/role` or a bare role name); `None` takes the catalog's default
    /// placement for a tier named `master`, `worker` or `lb`.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
}

/// Addresses for an endpoint the catalogs name (`internet`, `backupstore`, ...). Read from an `endpoint` block.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointSpec {
    /// An endpoint (or external role) name of any selected platform, or `platform/name`.
    pub name: String,
    /// IPv4 CIDR blocks.
    #[serde(default, rename = "cidr_ipv4")]
    pub ipv4: Vec<String>,
    /// IPv6 CIDR blocks.
    #[serde(default, rename = "cidr_ipv6")]
    pub ipv6: Vec<String>,
    /// Target-specific references such as AWS prefix list IDs, passed through unchanged.
    #[serde(default, rename = "prefix_list_ids")]
    pub references: Vec<String>,
    /// Instead of addresses: the user tier the endpoint runs on (the Kubernetes API server on `master`).
    #[serde(default)]
    pub tier: Option<String>,
}

/// How pod-to-pod traffic travels between nodes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum PodNetwork {
    /// Inside the CNI's tunnel (VXLAN, IP-in-IP, ...): only host traffic and the tunnel need cloud rules.
    #[default]
    Overlay,
    /// On the cloud network itself (AWS VPC CNI, native routing): pod flows need cloud rules too.
    Routed,
}

spelled! {
    PodNetwork {
        Overlay => "overlay",
        Routed => "routed",
    }
    else |other| format!(
        "unknown pod network {other:?}; write \"overlay\" (pod traffic inside the CNI tunnel) or \
         \"routed\" (pods use cloud network addresses, as with the AWS VPC CNI)"
    )
}

/// A step of the path to the input that caused an error, in the user's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// A named argument or block (`platform`, `options`, ...).
    Field(String),
    /// An element of a list or repeated block.
    Index(usize),
    /// An entry of a map.
    Key(String),
}

/// Bad input: where it is and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// Where in the request the problem is.
    pub path: Vec<PathStep>,
    /// One line saying what is wrong.
    pub summary: String,
    /// How to fix it, listing valid choices where there are any.
    pub detail: String,
}

impl InputError {
    /// An error at `path`.
    pub fn new(path: Vec<PathStep>, summary: impl Into<String>, detail: impl Into<String>) -> Self {
        InputError {
            path,
            summary: summary.into(),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.summary, self.detail)
    }
}

/// A path step naming an argument or block.
pub(crate) fn field(name: &str) -> PathStep {
    PathStep::Field(name.to_string())
}
