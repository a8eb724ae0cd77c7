//! The user's own flows (`extra_flow`): a few rules added without writing a catalog document, validated like
//! catalog flows and cited as "user-defined" wherever the catalogs' flows are cited.

use super::placement::{resolve_role, roles_of, Placement, Qualified, USER_DEFINED};
use super::request::{field, ExpansionRequest, ExtraFlowSpec, InputError, PathStep};
use super::setting::{Literal, Setting};
use super::{endpoint_end, role_end, End, Reason, RulePorts};
use crate::catalog::{Network, PortRange, Protocol, Release, Role};
use std::collections::BTreeMap;

/// An extra flow whose protocol, ports and ends are valid.
pub(super) struct CheckedExtra<'a> {
    /// The flow as written.
    pub(super) spec: &'a ExtraFlowSpec,
    /// Its index among the extra flows.
    index: usize,
    pub(super) protocol: Protocol,
    pub(super) ports: Vec<RulePorts>,
    pub(super) from: End,
    pub(super) to: End,
}

impl CheckedExtra<'_> {
    /// The ports as written (`"22,8000-8100"`), or `all` for protocols without ports.
    pub(super) fn ports_text(&self) -> String {
        if self.spec.ports.is_empty() {
            "all".to_string()
        } else {
            self.spec.ports.join(",")
        }
    }

    /// The rules' provenance: the user, not a document.
    pub(super) fn reason(&self) -> Reason {
        Reason {
            platform: USER_DEFINED.to_string(),
            versions: String::new(),
            from_role: self.spec.from.clone(),
            to_role: self.spec.to.clone(),
            purpose: self.spec.description.clone(),
            document: "user-defined: the selection's extra_flow blocks".to_string(),
            url: String::new(),
            rows: vec![format!(
                "extra_flow[{}]: {} -> {} {} {}",
                self.index,
                self.spec.from,
                self.spec.to,
                self.protocol,
                self.ports_text()
            )],
        }
    }
}

/// Checks every extra flow against the placed selection; all problems at once.
pub(super) fn check<'a>(
    request: &'a ExpansionRequest,
    releases: &[(String, &Release)],
    placement: &Placement,
) -> Result<Vec<CheckedExtra<'a>>, Vec<InputError>> {
    let roles = roles_of(releases);
    let mut errors = Vec::new();
    let mut checked = Vec::new();
    for (index, spec) in request.extra_flows.iter().enumerate() {
        let path = |name: &str| vec![field("extra_flow"), PathStep::Index(index), field(name)];
        let mut fail = |at: &str, summary: String, detail: String| {
            errors.push(InputError::new(path(at), summary, detail));
        };
        let protocol = match spec.protocol.parse::<Protocol>() {
            Ok(protocol) => Some(protocol),
            Err(error) => {
                fail(
                    "protocol",
                    format!("Invalid protocol {:?}", spec.protocol),
                    format!("{error}."),
                );
                None
            }
        };
        let ports = protocol.and_then(|protocol| match ports(protocol, &spec.ports) {
            Ok(ports) => Some(ports),
            Err(detail) => {
                fail("ports", "Invalid ports".to_string(), detail);
                None
            }
        });
        if spec.description.trim().is_empty() {
            fail(
                "description",
                "Empty description".to_string(),
                "Say what the traffic is for (\"SSH from the bastion\"); it becomes the rules' description."
                    .to_string(),
            );
        }
        let mut end = |at: &str, name: &str| match resolve(name, placement, &roles) {
            Ok(end) => Some(end),
            Err((summary, detail)) => {
                fail(at, summary, detail);
                None
            }
        };
        let from = end("from", &spec.from);
        let to = end("to", &spec.to);
        if let (Some(End::Endpoint(_)), Some(End::Endpoint(_))) = (&from, &to) {
            fail(
                "to",
                "Both ends are outside your tiers".to_string(),
                format!(
                    "{:?} and {:?} are endpoints; a firewall of your tiers has no rule between them. Name a \
                     tier or a role on one side.",
                    spec.from, spec.to
                ),
            );
            continue;
        }
        if let (Some(protocol), Some(ports), Some(from), Some(to)) = (protocol, ports, from, to) {
            checked.push(CheckedExtra {
                spec,
                index,
                protocol,
                ports,
                from,
                to,
            });
        }
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(errors)
    }
}

/// The rule ports of `protocol` with `written`, checked as a catalog flow's are.
fn ports(protocol: Protocol, written: &[String]) -> Result<Vec<RulePorts>, String> {
    if !protocol.has_ports() {
        return if written.is_empty() {
            Ok(vec![match protocol {
                Protocol::Icmp | Protocol::Icmpv6 => RulePorts::IcmpType(None),
                _ => RulePorts::All,
            }])
        } else {
            Err(format!(
                "Protocol {protocol} has no ports: remove `ports` (the rule admits the whole protocol)."
            ))
        };
    }
    if written.is_empty() {
        return Err(format!(
            "Protocol {protocol} needs ports: give {} or ranges such as \"8000-8100\".",
            Setting::ExtraFlowField {
                field: "ports".into(),
                value: Literal::Texts(vec!["22".into()])
            }
        ));
    }
    written
        .iter()
        .map(|text| {
            text.parse::<PortRange>()
                .map(RulePorts::Range)
                .map_err(|error| format!("{error}."))
        })
        .collect()
}

/// An extra flow's end: one of the user's tiers, an endpoint block, or a selected role, in that order.
fn resolve(
    name: &str,
    placement: &Placement,
    roles: &BTreeMap<Qualified, &Role>,
) -> Result<End, (String, String)> {
    // Endpoint blocks answer only for ends that are not tiers ([`endpoint_ends`]): a block named like a tier is
    // an unknown endpoint, reported by the placement.
    let is_tier = placement.tiers.iter().any(|t| t == name);
    let block = placement
        .endpoint_blocks
        .get(&(USER_DEFINED.to_string(), name.to_string()));
    match (is_tier, block) {
        (true, _) => Ok(End::Tiers(vec![name.to_string()], Network::Host)),
        (false, Some(block)) => Ok(endpoint_end(block, placement)),
        (false, None) => match resolve_role(name, roles) {
            Ok(qualified) => {
                let network = roles
                    .get(&qualified)
                    .map_or(Network::Host, |role| role.network);
                Ok(role_end(&qualified, network, placement))
            }
            Err(_) => Err((
                format!("Unknown end {name:?}"),
                format!(
                    "Name one of your tiers ({}), an endpoint (add {} with its addresses), or a role of the \
                     selected platforms as platform/role.",
                    placement.tiers.join(", "),
                    Setting::Endpoint { name: name.to_string() }
                ),
            )),
        },
    }
}
