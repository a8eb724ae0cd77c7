//! The firewall rules of a Terraform plan (`terraform show -json PLANFILE`), normalized: groups (AWS security
//! groups, Google Cloud firewalls, Azure network security groups) and the permissions each one grants.
//!
//! Values come from `planned_values`, child modules included. Values that are unknown until apply (the ID of a
//! group created by the same plan, typically) are resolved through the references in `configuration`.

use super::ports::PortSet;
use crate::catalog::Protocol;
use crate::spelled::spelled;
use ipnet::IpNet;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Whose firewall a group is; their implied rules differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cloud {
    /// An AWS security group: nothing is implied (Terraform removes the default egress rule).
    Aws,
    /// A Google Cloud firewall: egress is implied allowed.
    Gcp,
    /// An Azure network security group: traffic within the virtual network and outbound traffic are allowed
    /// by its default rules.
    Azure,
}

/// Something tiers map to: a security group, a firewall rule's targets, a network security group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// How reports name it: the resource address, or the ID or name a rule attaches to.
    pub key: String,
    /// Whose firewall it is.
    pub cloud: Cloud,
    /// What identifies it exactly: address, `name`, `id` (when known).
    pub identity: Vec<String>,
    /// Google Cloud target tags and service accounts: the instances the firewall applies to.
    pub labels: Vec<String>,
    /// Resource tags (`tags_all` and `tags`).
    pub tags: BTreeMap<String, String>,
    /// A Google Cloud firewall without targets, which applies to every instance of its network.
    pub all_instances: bool,
}

/// Inbound or outbound, from the group's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Traffic into the group's instances.
    Ingress,
    /// Traffic out of the group's instances.
    Egress,
}

impl Direction {
    /// How a rule names its peer: `from` for ingress, `to` for egress.
    pub fn peer_preposition(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }
}

spelled!(Direction {
    Ingress => "ingress",
    Egress => "egress",
});

/// What a permission admits: every protocol, or one protocol's ports (ICMP: types; other IP protocols: the
/// single point 0 standing for the whole protocol).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Admits {
    /// Every protocol and port (`-1`, `all`, `*`).
    All,
    /// One protocol, on these ports or ICMP types.
    Protocol(Protocol, PortSet),
}

impl Admits {
    /// Every port (or ICMP type) of `protocol`.
    pub fn whole(protocol: Protocol) -> Admits {
        Admits::Protocol(protocol, full_ports(protocol))
    }

    /// `tcp`, `all`, ...
    pub fn protocol_label(&self) -> String {
        match self {
            Admits::All => "all".to_string(),
            Admits::Protocol(p, _) => p.to_string(),
        }
    }

    /// `0-65535`, `80,443`, `8` (ICMP type), `all`.
    pub fn ports_label(&self) -> String {
        match self {
            Admits::All => "all".to_string(),
            Admits::Protocol(p, ports) => ports_label(*p, ports),
        }
    }
}

/// The set standing for every port of `protocol`: 0-65535, ICMP types 0-255, or the whole protocol.
pub fn full_ports(protocol: Protocol) -> PortSet {
    if protocol.has_ports() {
        PortSet::range(0, 65535)
    } else if protocol.is_icmp() {
        PortSet::range(0, 255)
    } else {
        PortSet::range(0, 0)
    }
}

/// Ports as reports show them: ranges, ICMP types, or `all` for a whole protocol.
pub fn ports_label(protocol: Protocol, ports: &PortSet) -> String {
    if !protocol.has_ports() && *ports == full_ports(protocol) {
        "all".to_string()
    } else {
        ports.to_string()
    }
}

/// The other side of a permission.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlanPeer {
    /// A group of the plan (by index), `self` included.
    Group(usize),
    /// A reference to something that is not a group of the plan: a security group ID, a Google Cloud source tag
    /// or service account, an application security group, an unresolved configuration reference.
    Label(String),
    /// An address block (a single address is a /32 or /128).
    Cidr(IpNet),
    /// Every address, written as `*`, `Any` or `Internet` (Azure).
    Any(String),
    /// An AWS managed prefix list.
    PrefixList(String),
    /// An Azure service tag other than `Internet` (`VirtualNetwork`, `AzureLoadBalancer`, ...).
    ServiceTag(String),
}

impl PlanPeer {
    /// Whether the peer is every address of a family (0.0.0.0/0, ::/0, `*`).
    pub fn is_world(&self) -> bool {
        match self {
            PlanPeer::Cidr(net) => net.prefix_len() == 0,
            PlanPeer::Any(_) => true,
            _ => false,
        }
    }
}

/// One permission: a group admits traffic in one direction, for a protocol and ports, with one peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// The group (index into [`Plan::groups`]).
    pub group: usize,
    /// Inbound or outbound.
    pub direction: Direction,
    /// Protocol and ports.
    pub admits: Admits,
    /// The other side.
    pub peer: PlanPeer,
    /// The resources granting it (an address, with the inline block's path for inline rules), sorted.
    pub resources: Vec<String>,
}

/// The firewall content of a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// `terraform_version` of the plan.
    pub terraform_version: String,
    /// `format_version` of the plan.
    pub format_version: String,
    /// Groups, in the plan's order.
    pub groups: Vec<Group>,
    /// Permissions without duplicates (a rule written inline and as a separate resource is one permission),
    /// sorted by group, direction, protocol, ports and peer.
    pub permissions: Vec<Permission>,
    /// What could not be read or is not evaluated (deny rules, values unknown until apply, ...).
    pub warnings: Vec<String>,
    /// The portmatrix data sources the plan read (address, values), whose selections the rules were wired from.
    pub selections: Vec<(String, Value)>,
}

impl Plan {
    /// How reports name a permission's peer: `self`, a group, an address block, a label.
    pub fn peer_label(&self, permission: &Permission) -> String {
        match &permission.peer {
            PlanPeer::Group(i) if *i == permission.group => "self".to_string(),
            PlanPeer::Group(i) => self
                .groups
                .get(*i)
                .map(|g| g.key.clone())
                .unwrap_or_default(),
            PlanPeer::Cidr(net) => net.to_string(),
            PlanPeer::Label(text)
            | PlanPeer::Any(text)
            | PlanPeer::PrefixList(text)
            | PlanPeer::ServiceTag(text) => text.clone(),
        }
    }
}

/// Why a document is not a plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(String);

/// The tag key that places a group on a tier when no matcher is given for it; the plan reader also sets it on
/// groups that rules wired from a portmatrix data source place on a tier.
pub const TIER_TAG: &str = "portmatrix:tier";

/// How references that are values, not resource addresses, begin.
const EXPRESSION_ROOTS: [&str; 7] = [
    "each.",
    "local.",
    "var.",
    "count.",
    "path.",
    "self.",
    "terraform.",
];

/// Resource types that hold rules or are groups.
const GROUP_TYPES: [&str; 3] = [
    "aws_security_group",
    "google_compute_firewall",
    "azurerm_network_security_group",
];

/// A peer before references are resolved to groups.
#[derive(Clone)]
enum RawPeer {
    Own,
    Ref(String),
    Resolved(PlanPeer),
}

struct RawPermission {
    group: usize,
    direction: Direction,
    admits: Admits,
    peer: RawPeer,
    resource: String,
}

/// A planned resource address split into its module path and resource part.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Address {
    /// `(name, instance key)` of each module call, outermost first.
    modules: Vec<(String, String)>,
    /// `type.name` without instance key.
    resource: String,
    /// The resource's instance key (`[0]`, `["a"]`) or empty.
    key: String,
}

impl Address {
    fn parse(text: &str) -> Address {
        let mut parts = Vec::new();
        let mut current = String::new();
        let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
        for c in text.chars() {
            if quoted {
                quoted = c != '"' || escaped;
                escaped = c == '\\' && !escaped;
                current.push(c);
                continue;
            }
            match c {
                '"' => quoted = true,
                '[' => depth += 1,
                ']' => depth = depth.saturating_sub(1),
                '.' if depth == 0 => {
                    parts.push(std::mem::take(&mut current));
                    continue;
                }
                _ => {}
            }
            current.push(c);
        }
        parts.push(current);
        let split_key = |part: &str| match part.find('[') {
            Some(i) => (part[..i].to_string(), part[i..].to_string()),
            None => (part.to_string(), String::new()),
        };
        let mut modules = Vec::new();
        let mut rest = parts.as_slice();
        while let [first, call, tail @ ..] = rest {
            if first != "module" || tail.is_empty() {
                break;
            }
            modules.push(split_key(call));
            rest = tail;
        }
        let (last, key) = rest.last().map(|p| split_key(p)).unwrap_or_default();
        let mut resource: Vec<String> = rest
            .iter()
            .take(rest.len().saturating_sub(1))
            .cloned()
            .collect();
        resource.push(last);
        Address {
            modules,
            resource: resource.join("."),
            key,
        }
    }

    /// `module.a[0].module.b.` or empty: what a reference inside the same module instance is prefixed with.
    fn module_prefix(&self) -> String {
        self.modules
            .iter()
            .map(|(name, key)| format!("module.{name}{key}."))
            .collect()
    }

    fn module_names(&self) -> Vec<String> {
        self.modules.iter().map(|(name, _)| name.clone()).collect()
    }

    /// The instance key of a `for_each` instance as a string (`["master"]` gives `master`).
    fn instance_key(&self) -> Option<String> {
        serde_json::from_str(self.key.strip_prefix('[')?.strip_suffix(']')?).ok()
    }
}

/// A managed resource of `planned_values`.
struct Resource<'a> {
    address: String,
    kind: String,
    values: &'a Value,
}

/// Reads the firewall resources of a `terraform show -json PLANFILE` document.
///
/// A document of the wrong structure (an object where a list of rules belongs, a port that is `true`, no
/// `format_version`, ...) is an error naming the JSON path of the first wrong value and what belongs there.
pub fn parse_plan(document: &Value) -> Result<Plan, PlanError> {
    let root = document
        .get("planned_values")
        .and_then(|p| p.get("root_module"));
    let no_root = || {
        PlanError(
            "the document has no planned_values.root_module: give the output of `terraform show -json PLANFILE` \
             (a saved plan), not of `terraform show -json` on a state"
                .to_string(),
        )
    };
    if document.is_object() && root.is_none() {
        return Err(no_root());
    }
    super::shape::check(document).map_err(PlanError)?;
    // The shape check passes only documents with a planned_values.root_module.
    let root = root.ok_or_else(no_root)?;
    let mut resources = Vec::new();
    collect_resources(root, "managed", &mut resources);
    // Data sources read while planning are in `prior_state` (Terraform 1.0) or in `planned_values` (later).
    let mut data = Vec::new();
    collect_resources(root, "data", &mut data);
    if let Some(prior) = document.get("prior_state").and_then(|p| p.get("values")) {
        if let Some(prior_root) = prior.get("root_module") {
            collect_resources(prior_root, "data", &mut data);
        }
    }
    let data: BTreeMap<String, &Value> =
        data.iter().map(|d| (d.address.clone(), d.values)).collect();
    let mut config = BTreeMap::new();
    let mut for_each = BTreeMap::new();
    if let Some(module) = document
        .get("configuration")
        .and_then(|c| c.get("root_module"))
    {
        index_configuration(module, &mut Vec::new(), &mut config, &mut for_each);
    }
    let selections = data
        .iter()
        .filter(|(address, values)| {
            data_type(address).starts_with("portmatrix_")
                && values.get("platform").is_some_and(Value::is_array)
        })
        .map(|(address, values)| (address.clone(), (*values).clone()))
        .collect();
    let mut reader = Reader {
        config,
        for_each,
        data,
        groups: Vec::new(),
        resource_groups: BTreeMap::new(),
        raw: Vec::new(),
        warnings: Vec::new(),
    };
    for resource in resources
        .iter()
        .filter(|r| GROUP_TYPES.contains(&r.kind.as_str()))
    {
        reader.group_resource(resource);
    }
    for resource in &resources {
        reader.rule_resource(resource);
    }
    let text = |key: &str| {
        document
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let mut plan = reader.finish(text("terraform_version"), text("format_version"));
    plan.selections = selections;
    Ok(plan)
}

/// `portmatrix_x` of `module.m.data.portmatrix_x.name[key]`.
fn data_type(address: &str) -> &str {
    let after = address
        .rsplit_once("data.")
        .map_or(address, |(_, rest)| rest);
    after.split('.').next().unwrap_or_default()
}

fn collect_resources<'a>(module: &'a Value, mode: &str, out: &mut Vec<Resource<'a>>) {
    for resource in module
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let field = |key: &str| resource.get(key).and_then(Value::as_str);
        if field("mode") != Some(mode) {
            continue;
        }
        if let (Some(address), Some(kind), Some(values)) =
            (field("address"), field("type"), resource.get("values"))
        {
            out.push(Resource {
                address: address.to_string(),
                kind: kind.to_string(),
                values,
            });
        }
    }
    for child in module
        .get("child_modules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect_resources(child, mode, out);
    }
}

type ConfigKey = (Vec<String>, String);

/// Indexes each configured resource's `expressions`, and the references of its `for_each`, by (module call
/// names, `type.name`).
fn index_configuration<'a>(
    module: &'a Value,
    path: &mut Vec<String>,
    out: &mut BTreeMap<ConfigKey, &'a Value>,
    for_each: &mut BTreeMap<ConfigKey, Vec<String>>,
) {
    for resource in module
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(address) = resource.get("address").and_then(Value::as_str) else {
            continue;
        };
        if let Some(expressions) = resource.get("expressions") {
            out.insert((path.clone(), address.to_string()), expressions);
        }
        if let Some(expression) = resource.get("for_each_expression") {
            for_each.insert(
                (path.clone(), address.to_string()),
                strings(expression, "references"),
            );
        }
    }
    if let Some(calls) = module.get("module_calls").and_then(Value::as_object) {
        for (name, call) in calls {
            if let Some(child) = call.get("module") {
                path.push(name.clone());
                index_configuration(child, path, out, for_each);
                path.pop();
            }
        }
    }
}

/// A value for a message: `"text"` quoted, or `absent` when there is none.
fn quoted_or(text: Option<&str>, absent: &str) -> String {
    text.map_or_else(|| absent.to_string(), |t| format!("{t:?}"))
}

fn string<'a>(values: &'a Value, key: &str) -> Option<&'a str> {
    values
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn strings(values: &Value, key: &str) -> Vec<String> {
    values
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn integer(values: &Value, key: &str) -> Option<i64> {
    let value = values.get(key)?;
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

/// A protocol as the clouds write it: a name (any case) or a number; `None` for every protocol.
fn protocol(text: &str) -> Result<Option<Protocol>, String> {
    let lower = text.to_ascii_lowercase();
    Ok(Some(match lower.as_str() {
        "-1" | "all" | "*" => return Ok(None),
        "tcp" | "6" => Protocol::Tcp,
        "udp" | "17" => Protocol::Udp,
        "icmp" | "1" => Protocol::Icmp,
        "icmpv6" | "ipv6-icmp" | "58" => Protocol::Icmpv6,
        "sctp" | "132" => Protocol::Sctp,
        "ipip" => Protocol::Number(4),
        "gre" => Protocol::Number(47),
        "esp" => Protocol::Number(50),
        "ah" => Protocol::Number(51),
        other => match other.parse::<u8>() {
            Ok(n) => Protocol::Number(n),
            Err(_) => return Err(format!("unknown protocol {text:?}")),
        },
    }))
}

/// A port or range as Google Cloud and Azure write them (`"80"`, `"1000-2000"`, `"*"`).
fn port_text(text: &str) -> Result<PortSet, String> {
    let text = text.trim();
    if text == "*" {
        return Ok(PortSet::range(0, 65535));
    }
    let (from, to) = text.split_once('-').unwrap_or((text, text));
    match (from.trim().parse::<u16>(), to.trim().parse::<u16>()) {
        (Ok(from), Ok(to)) if from <= to => Ok(PortSet::range(from, to)),
        _ => Err(format!("unreadable port range {text:?}")),
    }
}

/// An address prefix as Azure (or any cloud) writes it.
fn address_peer(text: &str) -> PlanPeer {
    let lower = text.to_ascii_lowercase();
    if matches!(lower.as_str(), "*" | "any" | "internet") {
        return PlanPeer::Any(text.to_string());
    }
    if let Ok(net) = text.parse::<IpNet>() {
        return PlanPeer::Cidr(net.trunc());
    }
    if let Ok(address) = text.parse::<IpAddr>() {
        return PlanPeer::Cidr(IpNet::from(address));
    }
    PlanPeer::ServiceTag(text.to_string())
}

fn cidr_peers(list: Vec<String>, out: &mut Vec<RawPeer>, warnings: &mut Vec<String>, at: &str) {
    for text in list {
        match text.parse::<IpNet>() {
            Ok(net) => out.push(RawPeer::Resolved(PlanPeer::Cidr(net.trunc()))),
            Err(_) => warnings.push(format!("{at}: {text:?} is not a CIDR block; left out")),
        }
    }
}

struct Reader<'a> {
    config: BTreeMap<ConfigKey, &'a Value>,
    /// References of each resource's `for_each`.
    for_each: BTreeMap<ConfigKey, Vec<String>>,
    /// Values of the data sources read while planning, by address.
    data: BTreeMap<String, &'a Value>,
    groups: Vec<Group>,
    /// `resource_group_name` of Azure network security groups, by group index.
    resource_groups: BTreeMap<usize, String>,
    raw: Vec<RawPermission>,
    warnings: Vec<String>,
}

impl Reader<'_> {
    fn expressions(&self, address: &Address) -> Option<&Value> {
        self.config
            .get(&(address.module_names(), address.resource.clone()))
            .copied()
    }

    /// The references of the expression of `address`'s `key` in the configuration.
    fn references(&self, address: &Address, key: &str) -> Vec<String> {
        self.expressions(address)
            .and_then(|e| e.get(key))
            .map(|e| strings(e, "references"))
            .unwrap_or_default()
    }

    /// Whether `key` is absent from the planned values but written in the configuration: unknown until apply.
    fn unknown(&self, address: &str, values: &Value, key: &str) -> bool {
        values.get(key).is_none_or(Value::is_null)
            && self
                .expressions(&Address::parse(address))
                .is_some_and(|e| e.get(key).is_some())
    }

    /// `each.value` of a resource instance whose `for_each` iterates over a data source's map attribute (as
    /// `for_each = data.portmatrix_aws_security_group_rules.x.ingress` does), read from the data source's values.
    fn each_value(&self, address: &str) -> Option<&Value> {
        let parsed = Address::parse(address);
        let key: String = parsed.instance_key()?;
        let references = self
            .for_each
            .get(&(parsed.module_names(), parsed.resource.clone()))?;
        references.iter().find_map(|reference| {
            let rest = reference.strip_prefix("data.")?;
            let mut parts = rest.splitn(3, '.');
            let (kind, name, attribute) = (parts.next()?, parts.next()?, parts.next()?);
            let source = format!("{}data.{kind}.{name}", parsed.module_prefix());
            self.data.get(&source)?.get(attribute)?.get(&key)
        })
    }

    /// The group `key` of `address` stands for when its expression indexes by `each.value.FIELD` and FIELD names
    /// a tier (as the rules data sources' `tier`, `source_tier` and `destination_tier` do): the one group resource
    /// of the module instance whose instance key is that tier. Likewise for `each.value` or `each.key` of a map
    /// keyed by tier. `Some((group key, the tier when a portmatrix data source named it))`, or `None` when there
    /// is no such reference, the field is null, or no single group matches.
    fn each_group(&self, address: &str, key: &str) -> Option<(String, Option<String>)> {
        let parsed = Address::parse(address);
        let references = self.references(&parsed, key);
        // `each.value.tier` of a map from a portmatrix data source names a tier; `each.value` or `each.key` of
        // a map keyed by tier (`local.security_group_ids`) stands for the group whose instance key is that key.
        let from_field = self.each_value(address).and_then(|each| {
            references.iter().find_map(|r| {
                let field = r.strip_prefix("each.value.")?;
                each.get(field)?.as_str().map(str::to_string)
            })
        });
        let (tier, named) = match from_field {
            Some(tier) => (tier, true),
            None if references
                .iter()
                .any(|r| r == "each.value" || r == "each.key")
                && !references.iter().any(|r| r.starts_with("each.value.")) =>
            {
                let key: String = parsed.instance_key()?;
                (key, false)
            }
            // `local.security_group_ids["worker"]`: a map keyed by tier, indexed by a literal.
            None => {
                let key = references.iter().find_map(|r| {
                    let index = r
                        .strip_prefix("local.")?
                        .split_once('[')?
                        .1
                        .strip_suffix(']')?;
                    serde_json::from_str::<String>(index).ok()
                })?;
                (key, false)
            }
        };
        let suffix = format!("[{}]", Value::String(tier.clone()));
        let prefix = parsed.module_prefix();
        // A module output (`module.groups.ids[each.value.tier]`) stands for the groups inside that module call.
        let modules: Vec<String> = references
            .iter()
            .filter_map(|r| {
                let mut parts = r.split('.');
                (parts.next() == Some("module"))
                    .then(|| parts.next().map(|name| format!("module.{name}.")))
                    .flatten()
            })
            .collect();
        let mut candidates = self.groups.iter().filter(|g| {
            g.key
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(&suffix))
                .map(|resource| {
                    modules
                        .iter()
                        .find_map(|module| resource.strip_prefix(module.as_str()))
                        .unwrap_or(resource)
                })
                .is_some_and(|resource| {
                    !resource.contains('[')
                        && resource
                            .split_once('.')
                            .is_some_and(|(kind, _)| GROUP_TYPES.contains(&kind))
                })
        });
        match (candidates.next(), candidates.next()) {
            (Some(group), None) => Some((group.key.clone(), named.then_some(tier))),
            _ => None,
        }
    }

    /// The tier a group resource stands for when its `for_each` iterates over the `tiers` map of a portmatrix data
    /// source (as `for_each = data.portmatrix_aws_security_group_rules.x.tiers` does): its instance key.
    fn for_each_tier(&self, address: &str) -> Option<String> {
        let parsed = Address::parse(address);
        let references = self
            .for_each
            .get(&(parsed.module_names(), parsed.resource.clone()))?;
        let over_tiers = references.iter().any(|r| {
            r.strip_prefix("data.portmatrix_")
                .and_then(|rest| rest.split('.').nth(2))
                == Some("tiers")
        });
        if !over_tiers {
            return None;
        }
        parsed.instance_key()
    }

    /// Places `group` on `tier` by the portmatrix tier tag, unless a tag already says otherwise.
    fn tag_tier(&mut self, group: usize, tier: &str) {
        if let Some(found) = self.groups.get_mut(group) {
            found
                .tags
                .entry(TIER_TAG.to_string())
                .or_insert_with(|| tier.to_string());
        }
    }

    fn find_group(&self, identifier: &str) -> Option<usize> {
        self.groups
            .iter()
            .position(|g| g.identity.iter().any(|i| i == identifier))
    }

    fn add_group(&mut self, group: Group) -> usize {
        self.groups.push(group);
        self.groups.len() - 1
    }

    /// A group for an identifier rules attach to but the plan does not create.
    fn referenced_group(&mut self, identifier: &str, cloud: Cloud) -> usize {
        match self.find_group(identifier) {
            Some(i) => i,
            None => self.add_group(Group {
                key: identifier.to_string(),
                cloud,
                identity: vec![identifier.to_string()],
                labels: Vec::new(),
                tags: BTreeMap::new(),
                all_instances: false,
            }),
        }
    }

    /// Resolves a configuration reference of `address`'s `key` to a resource of `kind`: the referenced
    /// resource's planned address when it exists (same module instance, same instance key when there are
    /// several), else the reference as written; `None` without a reference.
    fn reference(&self, address: &str, key: &str, kind: &str) -> Option<String> {
        let parsed = Address::parse(address);
        let references = self.references(&parsed, key);
        let Some(reference) = references
            .iter()
            .find(|r| r.starts_with(&format!("{kind}.")))
        else {
            // `each.value`, `local.ids` or `var.x` name no group: only a resource or module address may stand in.
            return references
                .iter()
                .find(|r| !EXPRESSION_ROOTS.iter().any(|root| r.starts_with(root)))
                .cloned();
        };
        let target = Address::parse(reference);
        // `aws_security_group.x.id` parses as resource `aws_security_group.x.id`; keep `type.name[key]`.
        let mut segments = target.resource.splitn(3, '.');
        let type_name = format!(
            "{}.{}",
            segments.next().unwrap_or_default(),
            segments.next().unwrap_or_default()
        );
        let name_part = reference
            .strip_prefix(type_name.as_str())
            .unwrap_or_default();
        let key_part = if name_part.starts_with('[') {
            name_part
                .find(']')
                .map(|i| name_part[..=i].to_string())
                .unwrap_or_default()
        } else {
            String::new()
        };
        let candidate = format!("{}{type_name}{key_part}", parsed.module_prefix());
        if self.find_group(&candidate).is_some() {
            return Some(candidate);
        }
        let instances: Vec<&Group> = self
            .groups
            .iter()
            .filter(|g| g.key.starts_with(&format!("{candidate}[")))
            .collect();
        let same_key = format!("{candidate}{}", parsed.key);
        match instances.as_slice() {
            [one] => Some(one.key.clone()),
            many if !parsed.key.is_empty() && many.iter().any(|g| g.key == same_key) => {
                Some(same_key)
            }
            _ => Some(reference.clone()),
        }
    }

    fn group_resource(&mut self, resource: &Resource<'_>) {
        let values = resource.values;
        let mut identity = vec![resource.address.clone()];
        identity.extend(string(values, "name").map(str::to_string));
        identity.extend(string(values, "id").map(str::to_string));
        let mut tags = BTreeMap::new();
        for key in ["tags_all", "tags"] {
            if let Some(map) = values.get(key).and_then(Value::as_object) {
                for (k, v) in map {
                    if let Some(v) = v.as_str() {
                        tags.insert(k.clone(), v.to_string());
                    }
                }
            }
        }
        let mut labels = strings(values, "target_tags");
        labels.extend(strings(values, "target_service_accounts"));
        if let Some(tier) = self.for_each_tier(&resource.address) {
            tags.entry(TIER_TAG.to_string()).or_insert(tier);
        }
        let cloud = match resource.kind.as_str() {
            "aws_security_group" => Cloud::Aws,
            "google_compute_firewall" => Cloud::Gcp,
            _ => Cloud::Azure,
        };
        let group = self.add_group(Group {
            key: resource.address.clone(),
            cloud,
            identity,
            all_instances: cloud == Cloud::Gcp && labels.is_empty(),
            labels,
            tags,
        });
        match cloud {
            Cloud::Aws => {
                for (key, direction) in [
                    ("ingress", Direction::Ingress),
                    ("egress", Direction::Egress),
                ] {
                    if self.unknown(&resource.address, values, key) {
                        self.warnings.push(format!(
                            "{}: the inline {key} rules are not known until apply; not reviewed",
                            resource.address
                        ));
                    }
                    let blocks = values.get(key).and_then(Value::as_array);
                    for (i, block) in blocks.into_iter().flatten().enumerate() {
                        let at = format!("{}.{key}[{i}]", resource.address);
                        self.aws_rule(group, direction, block, &at, "security_groups");
                    }
                }
            }
            Cloud::Gcp => self.gcp_firewall(group, resource),
            Cloud::Azure => {
                if let Some(rg) = string(values, "resource_group_name") {
                    self.resource_groups.insert(group, rg.to_string());
                }
                let blocks = values.get("security_rule").and_then(Value::as_array);
                for (i, block) in blocks.into_iter().flatten().enumerate() {
                    let at = format!("{}.security_rule[{i}]", resource.address);
                    self.azure_rule(group, block, &at);
                }
            }
        }
    }

    fn rule_resource(&mut self, resource: &Resource<'_>) {
        let values = resource.values;
        let address = resource.address.as_str();
        match resource.kind.as_str() {
            "aws_security_group_rule" => {
                let direction = match string(values, "type") {
                    Some("ingress") => Direction::Ingress,
                    Some("egress") => Direction::Egress,
                    other => {
                        self.warnings.push(format!(
                            "{address}: type {} is neither ingress nor egress; not reviewed",
                            quoted_or(other, "unknown")
                        ));
                        return;
                    }
                };
                let group = self.aws_attachment(address, values);
                self.aws_rule(
                    group,
                    direction,
                    values,
                    address,
                    "source_security_group_id",
                );
            }
            "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => {
                let direction = if resource.kind.ends_with("ingress_rule") {
                    Direction::Ingress
                } else {
                    Direction::Egress
                };
                let group = self.aws_attachment(address, values);
                self.aws_vpc_rule(group, direction, values, address);
            }
            "azurerm_network_security_rule" => {
                let group = self.azure_attachment(address, values);
                self.azure_rule(group, values, address);
            }
            _ => {}
        }
    }

    /// The security group a rule resource belongs to.
    fn aws_attachment(&mut self, address: &str, values: &Value) -> usize {
        if let Some(id) = string(values, "security_group_id") {
            return self.referenced_group(id, Cloud::Aws);
        }
        if let Some((key, tier)) = self.each_group(address, "security_group_id") {
            let group = self.referenced_group(&key, Cloud::Aws);
            if let Some(tier) = tier {
                self.tag_tier(group, &tier);
            }
            return group;
        }
        match self.reference(address, "security_group_id", "aws_security_group") {
            Some(reference) => self.referenced_group(&reference, Cloud::Aws),
            None => {
                self.warnings.push(format!(
                    "{address}: its security group is not known; the rule is reviewed as a group of its own, \
                     named by its address"
                ));
                self.referenced_group(address, Cloud::Aws)
            }
        }
    }

    /// The network security group an `azurerm_network_security_rule` belongs to.
    fn azure_attachment(&mut self, address: &str, values: &Value) -> usize {
        if let Some(name) = string(values, "network_security_group_name") {
            let resource_group = string(values, "resource_group_name");
            // The name is unique within a resource group: compare those too when both are known.
            let found = self.groups.iter().enumerate().position(|(i, g)| {
                g.cloud == Cloud::Azure
                    && g.identity.iter().skip(1).any(|id| id == name)
                    && match (resource_group, self.resource_groups.get(&i)) {
                        (Some(a), Some(b)) => a == b,
                        _ => true,
                    }
            });
            return match found {
                Some(i) => i,
                None => self.referenced_group(name, Cloud::Azure),
            };
        }
        match self.reference(
            address,
            "network_security_group_name",
            "azurerm_network_security_group",
        ) {
            Some(reference) => self.referenced_group(&reference, Cloud::Azure),
            None => {
                self.warnings.push(format!(
                    "{address}: its network security group is not known; the rule is reviewed as a group of its \
                     own, named by its address"
                ));
                self.referenced_group(address, Cloud::Azure)
            }
        }
    }

    fn push(
        &mut self,
        group: usize,
        direction: Direction,
        admits: Admits,
        peers: Vec<RawPeer>,
        at: &str,
    ) {
        if peers.is_empty() {
            self.warnings.push(format!(
                "{at}: no peer is known at plan time (no address block, group or tag); not reviewed"
            ));
            return;
        }
        for peer in peers {
            self.raw.push(RawPermission {
                group,
                direction,
                admits: admits.clone(),
                peer,
                resource: at.to_string(),
            });
        }
    }

    /// `protocol`, `from_port`, `to_port` of an AWS rule.
    fn aws_admits(&mut self, values: &Value, protocol_key: &str, at: &str) -> Option<Admits> {
        let text = match values.get(protocol_key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                self.warnings
                    .push(format!("{at}: the protocol is not known; not reviewed"));
                return None;
            }
        };
        let parsed = match protocol(&text) {
            Ok(p) => p,
            Err(e) => {
                self.warnings.push(format!("{at}: {e}; not reviewed"));
                return None;
            }
        };
        let Some(protocol) = parsed else {
            return Some(Admits::All);
        };
        let (from, to) = (integer(values, "from_port"), integer(values, "to_port"));
        if protocol.is_icmp() {
            // AWS reads from_port as the ICMP type; -1 (or none) is every type.
            return Some(match from.and_then(|t| u8::try_from(t).ok()) {
                Some(t) => Admits::Protocol(protocol, PortSet::range(u16::from(t), u16::from(t))),
                None => Admits::whole(protocol),
            });
        }
        if !protocol.has_ports() {
            return Some(Admits::whole(protocol));
        }
        match (
            from.and_then(|n| u16::try_from(n).ok()),
            to.and_then(|n| u16::try_from(n).ok()),
        ) {
            (Some(from), Some(to)) if from <= to => {
                Some(Admits::Protocol(protocol, PortSet::range(from, to)))
            }
            _ => {
                let port =
                    |n: Option<i64>| n.map_or_else(|| "unknown".to_string(), |n| n.to_string());
                self.warnings.push(format!(
                    "{at}: from_port {} and to_port {} are not a port range (two ports from 0 to 65535, the first \
                     not above the second); not reviewed",
                    port(from),
                    port(to)
                ));
                None
            }
        }
    }

    /// An inline block of `aws_security_group` or an `aws_security_group_rule`.
    fn aws_rule(
        &mut self,
        group: usize,
        direction: Direction,
        values: &Value,
        at: &str,
        group_key: &str,
    ) {
        let Some(admits) = self.aws_admits(values, "protocol", at) else {
            return;
        };
        let mut peers = Vec::new();
        cidr_peers(
            strings(values, "cidr_blocks"),
            &mut peers,
            &mut self.warnings,
            at,
        );
        cidr_peers(
            strings(values, "ipv6_cidr_blocks"),
            &mut peers,
            &mut self.warnings,
            at,
        );
        for id in strings(values, "prefix_list_ids") {
            peers.push(RawPeer::Resolved(PlanPeer::PrefixList(id)));
        }
        if values.get("self").and_then(Value::as_bool) == Some(true) {
            peers.push(RawPeer::Own);
        }
        match values.get(group_key) {
            Some(Value::String(id)) if !id.is_empty() => peers.push(RawPeer::Ref(id.clone())),
            Some(Value::Array(_)) => {
                peers.extend(strings(values, group_key).into_iter().map(RawPeer::Ref))
            }
            _ => {
                if let Some(reference) = self.reference(at, group_key, "aws_security_group") {
                    peers.push(RawPeer::Ref(reference));
                }
            }
        }
        self.push(group, direction, admits, peers, at);
    }

    /// An `aws_vpc_security_group_ingress_rule` or `_egress_rule`.
    fn aws_vpc_rule(&mut self, group: usize, direction: Direction, values: &Value, at: &str) {
        let Some(admits) = self.aws_admits(values, "ip_protocol", at) else {
            return;
        };
        let mut peers = Vec::new();
        for key in ["cidr_ipv4", "cidr_ipv6"] {
            cidr_peers(
                string(values, key)
                    .map(str::to_string)
                    .into_iter()
                    .collect(),
                &mut peers,
                &mut self.warnings,
                at,
            );
        }
        if let Some(id) = string(values, "prefix_list_id") {
            peers.push(RawPeer::Resolved(PlanPeer::PrefixList(id.to_string())));
        }
        const PEER_GROUP: &str = "referenced_security_group_id";
        match values.get(PEER_GROUP) {
            Some(Value::String(id)) => peers.push(RawPeer::Ref(id.clone())),
            // Null: the rule has an address peer instead. Absent: unknown until apply, so follow the configuration.
            Some(_) => {}
            None => {
                if let Some((key, tier)) = self.each_group(at, PEER_GROUP) {
                    if let (Some(found), Some(tier)) = (self.find_group(&key), tier) {
                        self.tag_tier(found, &tier);
                    }
                    peers.push(RawPeer::Ref(key));
                } else if let Some(reference) = self.reference(at, PEER_GROUP, "aws_security_group")
                {
                    peers.push(RawPeer::Ref(reference));
                }
            }
        }
        self.push(group, direction, admits, peers, at);
    }

    fn gcp_firewall(&mut self, group: usize, resource: &Resource<'_>) {
        let (values, address) = (resource.values, resource.address.as_str());
        if values.get("disabled").and_then(Value::as_bool) == Some(true) {
            self.warnings
                .push(format!("{address}: the firewall is disabled; not reviewed"));
            return;
        }
        if values
            .get("deny")
            .and_then(Value::as_array)
            .is_some_and(|d| !d.is_empty())
        {
            self.warnings.push(format!(
                "{address}: deny rules are not evaluated (a deny with a higher priority may block traffic an allow \
                 rule admits)"
            ));
        }
        let direction = match string(values, "direction") {
            Some(d) if d.eq_ignore_ascii_case("egress") => Direction::Egress,
            _ => Direction::Ingress,
        };
        let mut peers = Vec::new();
        let ranges_key = match direction {
            Direction::Ingress => "source_ranges",
            Direction::Egress => "destination_ranges",
        };
        cidr_peers(
            strings(values, ranges_key),
            &mut peers,
            &mut self.warnings,
            address,
        );
        if direction == Direction::Ingress {
            for key in ["source_tags", "source_service_accounts"] {
                peers.extend(
                    strings(values, key)
                        .into_iter()
                        .map(|s| RawPeer::Resolved(PlanPeer::Label(s))),
                );
            }
        }
        let sources_unknown = match direction {
            Direction::Ingress => ["source_ranges", "source_tags", "source_service_accounts"]
                .iter()
                .any(|k| self.unknown(address, values, k)),
            Direction::Egress => self.unknown(address, values, "destination_ranges"),
        };
        if peers.is_empty() && !sources_unknown {
            // Without sources (or destinations) Google Cloud applies 0.0.0.0/0.
            peers.push(RawPeer::Resolved(PlanPeer::Cidr(IpNet::default())));
        }
        let blocks = values.get("allow").and_then(Value::as_array);
        for (i, block) in blocks.into_iter().flatten().enumerate() {
            let at = format!("{address}.allow[{i}]");
            let Some(text) = string(block, "protocol") else {
                self.warnings
                    .push(format!("{at}: no protocol; not reviewed"));
                continue;
            };
            let admits = match protocol(text) {
                Ok(None) => Admits::All,
                Ok(Some(p)) if p.has_ports() => {
                    let ports = strings(block, "ports");
                    if ports.is_empty() {
                        Admits::whole(p)
                    } else {
                        match ports
                            .iter()
                            .map(|t| port_text(t))
                            .collect::<Result<Vec<_>, _>>()
                        {
                            Ok(sets) => Admits::Protocol(
                                p,
                                sets.iter().fold(PortSet::default(), |a, b| a.union(b)),
                            ),
                            Err(e) => {
                                self.warnings.push(format!("{at}: {e}; not reviewed"));
                                continue;
                            }
                        }
                    }
                }
                Ok(Some(p)) => Admits::whole(p),
                Err(e) => {
                    self.warnings.push(format!("{at}: {e}; not reviewed"));
                    continue;
                }
            };
            self.push(group, direction, admits, peers.clone(), &at);
        }
    }

    /// An inline `security_rule` of an NSG or an `azurerm_network_security_rule`.
    fn azure_rule(&mut self, group: usize, values: &Value, at: &str) {
        if !string(values, "access").is_some_and(|a| a.eq_ignore_ascii_case("allow")) {
            self.warnings.push(format!(
                "{at}: deny rules are not evaluated (a deny with a higher priority may block traffic an allow rule \
                 admits)"
            ));
            return;
        }
        let direction = match string(values, "direction") {
            Some(d) if d.eq_ignore_ascii_case("outbound") => Direction::Egress,
            Some(d) if d.eq_ignore_ascii_case("inbound") => Direction::Ingress,
            other => {
                self.warnings.push(format!(
                    "{at}: direction {} is neither Inbound nor Outbound; not reviewed",
                    quoted_or(other, "unknown")
                ));
                return;
            }
        };
        let admits = match string(values, "protocol").map(protocol) {
            Some(Ok(None)) => Admits::All,
            Some(Ok(Some(p))) if p.has_ports() => {
                let mut texts: Vec<String> = string(values, "destination_port_range")
                    .map(str::to_string)
                    .into_iter()
                    .collect();
                texts.extend(strings(values, "destination_port_ranges"));
                let mut ports = PortSet::default();
                for text in &texts {
                    match port_text(text) {
                        Ok(set) => ports = ports.union(&set),
                        Err(e) => {
                            self.warnings.push(format!("{at}: {e}; not reviewed"));
                            return;
                        }
                    }
                }
                if ports.is_empty() {
                    self.warnings
                        .push(format!("{at}: no destination ports; not reviewed"));
                    return;
                }
                Admits::Protocol(p, ports)
            }
            Some(Ok(Some(p))) => Admits::whole(p),
            Some(Err(e)) => {
                self.warnings.push(format!("{at}: {e}; not reviewed"));
                return;
            }
            None => {
                self.warnings
                    .push(format!("{at}: no protocol; not reviewed"));
                return;
            }
        };
        let side = match direction {
            Direction::Ingress => "source",
            Direction::Egress => "destination",
        };
        let mut texts: Vec<String> = string(values, &format!("{side}_address_prefix"))
            .map(str::to_string)
            .into_iter()
            .collect();
        texts.extend(strings(values, &format!("{side}_address_prefixes")));
        let mut peers: Vec<RawPeer> = texts
            .iter()
            .map(|t| RawPeer::Resolved(address_peer(t)))
            .collect();
        peers.extend(
            strings(values, &format!("{side}_application_security_group_ids"))
                .into_iter()
                .map(RawPeer::Ref),
        );
        self.push(group, direction, admits, peers, at);
    }

    fn finish(mut self, terraform_version: String, format_version: String) -> Plan {
        let mut merged: BTreeMap<(usize, Direction, Admits, PlanPeer), BTreeSet<String>> =
            BTreeMap::new();
        for raw in std::mem::take(&mut self.raw) {
            let peer = match raw.peer {
                RawPeer::Own => PlanPeer::Group(raw.group),
                RawPeer::Ref(r) => match self.find_group(&r) {
                    Some(i) => PlanPeer::Group(i),
                    None => PlanPeer::Label(r),
                },
                RawPeer::Resolved(p) => p,
            };
            merged
                .entry((raw.group, raw.direction, raw.admits, peer))
                .or_default()
                .insert(raw.resource);
        }
        let permissions = merged
            .into_iter()
            .map(|((group, direction, admits, peer), resources)| Permission {
                group,
                direction,
                admits,
                peer,
                resources: resources.into_iter().collect(),
            })
            .collect();
        self.warnings.sort();
        self.warnings.dedup();
        Plan {
            terraform_version,
            format_version,
            groups: self.groups,
            permissions,
            warnings: self.warnings,
            selections: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_modules_and_keys() {
        let a = Address::parse("module.sg[\"a.b\"].module.x[0].aws_security_group_rule.r[1]");
        assert_eq!(
            a.modules,
            vec![
                ("sg".to_string(), "[\"a.b\"]".to_string()),
                ("x".to_string(), "[0]".to_string())
            ]
        );
        assert_eq!(a.resource, "aws_security_group_rule.r");
        assert_eq!(a.key, "[1]");
        assert_eq!(a.module_prefix(), "module.sg[\"a.b\"].module.x[0].");
        let plain = Address::parse("aws_security_group.x");
        assert!(plain.modules.is_empty());
        assert_eq!(plain.resource, "aws_security_group.x");
        assert_eq!(plain.key, "");
    }

    #[test]
    fn protocols_by_name_and_number() {
        assert_eq!(protocol("-1"), Ok(None));
        assert_eq!(protocol("Tcp"), Ok(Some(Protocol::Tcp)));
        assert_eq!(protocol("6"), Ok(Some(Protocol::Tcp)));
        assert_eq!(protocol("58"), Ok(Some(Protocol::Icmpv6)));
        assert_eq!(protocol("esp"), Ok(Some(Protocol::Number(50))));
        assert_eq!(protocol("4"), Ok(Some(Protocol::Number(4))));
        assert!(protocol("bogus").is_err());
    }

    #[test]
    fn azure_prefixes() {
        assert_eq!(address_peer("*"), PlanPeer::Any("*".into()));
        assert_eq!(address_peer("Internet"), PlanPeer::Any("Internet".into()));
        assert_eq!(
            address_peer("10.10.10.10"),
            PlanPeer::Cidr("10.10.10.10/32".parse().unwrap())
        );
        assert_eq!(
            address_peer("VirtualNetwork"),
            PlanPeer::ServiceTag("VirtualNetwork".into())
        );
    }

    #[test]
    fn not_a_plan() {
        let e = parse_plan(&serde_json::json!({"values": {}})).unwrap_err();
        assert!(e.to_string().contains("planned_values"), "{e}");
    }
}
