//! The comparison: the selection's needs (from the engine's rules) against the plan's permissions.

use super::plan::{
    full_ports, ports_label, Admits, Cloud, Direction, Group, Permission, Plan, PlanPeer,
};
use super::ports::PortSet;
use super::tiers::TierMap;
use super::{Check, Finding, FindingKind, Review, Subject};
use crate::catalog::{PortRange, Protocol};
use crate::engine::{Expansion, Peer, Rule, RulePorts};
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet};

/// The other side of a need.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum NeedPeer {
    /// A tier of the selection.
    Tier(String),
    /// One address block of an endpoint.
    Cidr { endpoint: String, net: IpNet },
    /// One prefix list of an endpoint.
    PrefixList { endpoint: String, id: String },
}

impl NeedPeer {
    fn label(&self) -> String {
        match self {
            NeedPeer::Tier(tier) => tier.clone(),
            NeedPeer::Cidr { endpoint, net } => format!("{endpoint}:{net}"),
            NeedPeer::PrefixList { endpoint, id } => format!("{endpoint}:{id}"),
        }
    }

    /// Whether the flow is internal: from a tier, or from addresses narrower than the whole address space.
    fn is_narrow(&self) -> bool {
        !matches!(self, NeedPeer::Cidr { net, .. } if net.prefix_len() == 0)
    }
}

/// One flow a tier needs admitted in one direction.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Need {
    tier: String,
    direction: Direction,
    peer: NeedPeer,
    protocol: Protocol,
    ports: PortSet,
    flows: Vec<String>,
}

fn rule_ports(ports: RulePorts, protocol: Protocol) -> PortSet {
    match ports {
        RulePorts::Range(range) => PortSet::of([range]),
        RulePorts::IcmpType(Some(t)) => PortSet::range(u16::from(t), u16::from(t)),
        RulePorts::IcmpType(None) | RulePorts::All => full_ports(protocol),
    }
}

fn flows(rule: &Rule) -> Vec<String> {
    let set: BTreeSet<String> = rule
        .reasons
        .iter()
        .map(|r| {
            format!(
                "{}: {} -> {} ({})",
                r.platform, r.from_role, r.to_role, r.purpose
            )
        })
        .collect();
    set.into_iter().collect()
}

/// Each rule of the expansion as an ingress need of its destination tier and an egress need of its source
/// tier, one per address of an endpoint peer.
fn needs(expansion: &Expansion, warnings: &mut Vec<String>) -> Vec<Need> {
    let mut out = Vec::new();
    for rule in &expansion.rules {
        let peers = |peer: &Peer, warnings: &mut Vec<String>| -> Vec<NeedPeer> {
            match peer {
                Peer::Tier(tier) => vec![NeedPeer::Tier(tier.clone())],
                Peer::Endpoint(name) => {
                    let addresses = expansion.endpoints.get(name).cloned().unwrap_or_default();
                    let mut list: Vec<NeedPeer> = addresses
                        .ipv4
                        .iter()
                        .chain(&addresses.ipv6)
                        .filter_map(|cidr| cidr.parse::<IpNet>().ok())
                        .map(|net| NeedPeer::Cidr {
                            endpoint: name.clone(),
                            net,
                        })
                        .collect();
                    list.extend(addresses.references.iter().map(|id| NeedPeer::PrefixList {
                        endpoint: name.clone(),
                        id: id.clone(),
                    }));
                    if list.is_empty() {
                        warnings.push(format!(
                            "endpoint {name:?} has no addresses: its flow {} is not checked",
                            rule.key()
                        ));
                    }
                    list
                }
            }
        };
        let ports = rule_ports(rule.ports, rule.protocol);
        let mut push = |tier: &str, direction: Direction, peer: NeedPeer| {
            out.push(Need {
                tier: tier.to_string(),
                direction,
                peer,
                protocol: rule.protocol,
                ports: ports.clone(),
                flows: flows(rule),
            });
        };
        if let Peer::Tier(tier) = &rule.destination {
            for peer in peers(&rule.source, warnings) {
                push(tier, Direction::Ingress, peer);
            }
        }
        if let Peer::Tier(tier) = &rule.source {
            for peer in peers(&rule.destination, warnings) {
                push(tier, Direction::Egress, peer);
            }
        }
    }
    out
}

/// What the plan's groups and the tier map say about peers.
struct Context<'a> {
    plan: &'a Plan,
    map: &'a TierMap,
    group_tiers: Vec<BTreeSet<String>>,
}

impl Context<'_> {
    /// The tiers a permission's peer stands for, when it names groups or labels.
    fn peer_tiers(&self, peer: &PlanPeer) -> BTreeSet<String> {
        match peer {
            PlanPeer::Group(i) => self.group_tiers.get(*i).cloned().unwrap_or_default(),
            PlanPeer::Label(label) => self.map.label_tiers(label),
            _ => BTreeSet::new(),
        }
    }

    /// Whether a permission's peer admits all of a need's peer.
    fn covers(&self, peer: &PlanPeer, need: &NeedPeer) -> bool {
        match (peer, need) {
            (PlanPeer::Any(_), _) => true,
            (PlanPeer::Cidr(net), NeedPeer::Tier(_)) => net.prefix_len() == 0,
            (PlanPeer::Cidr(net), NeedPeer::Cidr { net: wanted, .. }) => net.contains(wanted),
            (PlanPeer::PrefixList(id), NeedPeer::PrefixList { id: wanted, .. }) => id == wanted,
            (PlanPeer::ServiceTag(tag), NeedPeer::Tier(_)) => {
                tag.eq_ignore_ascii_case("VirtualNetwork")
            }
            (PlanPeer::Group(_) | PlanPeer::Label(_), NeedPeer::Tier(tier)) => {
                self.peer_tiers(peer).contains(tier)
            }
            _ => false,
        }
    }

    /// Whether a permission's peer admits some of a need's peer.
    fn carries(&self, peer: &PlanPeer, need: &NeedPeer) -> bool {
        match (peer, need) {
            (PlanPeer::Cidr(net), NeedPeer::Cidr { net: wanted, .. }) => {
                net.contains(wanted) || wanted.contains(net)
            }
            _ => self.covers(peer, need),
        }
    }
}

/// What a permission admits of `protocol`, if anything.
fn admitted(admits: &Admits, protocol: Protocol) -> Option<PortSet> {
    match admits {
        Admits::All => Some(full_ports(protocol)),
        Admits::Protocol(p, ports) if *p == protocol => Some(ports.clone()),
        Admits::Protocol(..) => None,
    }
}

/// Whether the cloud's default rules admit a need.
fn implied(cloud: Cloud, need: &Need) -> bool {
    match cloud {
        Cloud::Aws => false,
        Cloud::Gcp => need.direction == Direction::Egress,
        Cloud::Azure => {
            need.direction == Direction::Egress || matches!(need.peer, NeedPeer::Tier(_))
        }
    }
}

/// Compares `plan` with the needs of `expansion`, groups placed on tiers by `map`.
pub fn review(plan: &Plan, expansion: &Expansion, map: &TierMap) -> Review {
    let mut warnings = plan.warnings.clone();
    let context = Context {
        plan,
        map,
        group_tiers: plan.groups.iter().map(|g| map.group_tiers(g)).collect(),
    };
    let mut needs = needs(expansion, &mut warnings);
    let order: BTreeMap<&String, usize> = map
        .tiers()
        .iter()
        .enumerate()
        .map(|(i, t)| (t, i))
        .collect();
    needs.sort_by_key(|n| {
        (
            order.get(&n.tier).copied(),
            n.direction,
            n.peer.clone(),
            n.protocol,
            n.ports.clone(),
        )
    });

    let tier_groups: Vec<(String, Vec<(usize, &Group)>)> = map
        .tiers()
        .iter()
        .map(|tier| {
            let groups = plan
                .groups
                .iter()
                .enumerate()
                .zip(&context.group_tiers)
                .filter(|(_, tiers)| tiers.contains(tier))
                .map(|(group, _)| group)
                .collect();
            (tier.clone(), groups)
        })
        .collect();
    let plan_clouds: BTreeSet<Cloud> = plan.groups.iter().map(|g| g.cloud).collect();

    let mut checks = Vec::new();
    for need in &needs {
        let groups = tier_groups
            .iter()
            .find(|(t, _)| *t == need.tier)
            .map(|(_, g)| g.as_slice())
            .unwrap_or(&[]);
        let clouds: BTreeSet<Cloud> = if groups.is_empty() {
            plan_clouds.clone()
        } else {
            groups.iter().map(|(_, g)| g.cloud).collect()
        };
        let uncovered = if clouds.iter().any(|c| implied(*c, need)) {
            PortSet::default()
        } else {
            let covered = plan
                .permissions
                .iter()
                .filter(|p| {
                    groups.iter().any(|(i, _)| *i == p.group) && p.direction == need.direction
                })
                .filter(|p| context.covers(&p.peer, &need.peer))
                .filter_map(|p| admitted(&p.admits, need.protocol))
                .fold(PortSet::default(), |a, b| a.union(&b));
            need.ports.minus(&covered)
        };
        let ports = ports_label(need.protocol, &need.ports);
        let finding = (!uncovered.is_empty()).then(|| {
            let missing = ports_label(need.protocol, &uncovered);
            let part = if uncovered == need.ports {
                String::new()
            } else {
                format!(" (of {ports})")
            };
            let groups_text = if groups.is_empty() {
                format!("no group of the plan is on tier {}", need.tier)
            } else {
                format!("no {} rule of tier {} admits it", need.direction, need.tier)
            };
            Finding {
                kind: FindingKind::Missing,
                message: format!(
                    "{} {} {missing}{part} {} {} is needed but {groups_text}; needed by {}",
                    need.tier,
                    need.protocol,
                    need.direction.peer_preposition(),
                    need.peer.label(),
                    need.flows.join("; ")
                ),
                ports: missing,
            }
        });
        checks.push(Check {
            subject: Subject::Need,
            tiers: vec![need.tier.clone()],
            direction: need.direction,
            protocol: need.protocol.to_string(),
            ports,
            peer: need.peer.label(),
            resources: Vec::new(),
            flows: need.flows.clone(),
            finding,
        });
    }

    for permission in &plan.permissions {
        let Some(tiers) = context
            .group_tiers
            .get(permission.group)
            .filter(|tiers| !tiers.is_empty())
        else {
            continue;
        };
        checks.push(permission_check(&context, &needs, permission, tiers));
    }

    for (tier, groups) in &tier_groups {
        let count = needs.iter().filter(|n| n.tier == *tier).count();
        if groups.is_empty() && count > 0 {
            warnings.push(format!(
                "tier {tier} matches no group of the plan (matchers: {}); its {count} needs are reported missing \
                 where the cloud's defaults do not admit them",
                map.matchers(tier).join(", ")
            ));
        }
    }
    Review {
        tiers: tier_groups
            .iter()
            .map(|(tier, groups)| {
                (
                    tier.clone(),
                    groups.iter().map(|(_, g)| g.key.clone()).collect(),
                )
            })
            .collect(),
        unassigned: plan
            .groups
            .iter()
            .zip(&context.group_tiers)
            .filter(|(_, tiers)| tiers.is_empty())
            .map(|(g, _)| g.key.clone())
            .collect(),
        checks,
        warnings,
    }
}

fn permission_check(
    context: &Context<'_>,
    needs: &[Need],
    permission: &Permission,
    tiers: &BTreeSet<String>,
) -> Check {
    let carried: Vec<&Need> = needs
        .iter()
        .filter(|n| tiers.contains(&n.tier) && n.direction == permission.direction)
        .filter(|n| context.carries(&permission.peer, &n.peer))
        .filter(|n| {
            admitted(&permission.admits, n.protocol).is_some_and(|ports| ports.overlaps(&n.ports))
        })
        .collect();
    let peer = context.plan.peer_label(permission);
    let flow_set: BTreeSet<String> = carried
        .iter()
        .flat_map(|n| n.flows.iter().cloned())
        .collect();
    let resources = permission.resources.join(", ");
    let direction = permission.direction;
    // The selection's tier order, not the alphabet's.
    let ordered: Vec<String> = context
        .map
        .tiers()
        .iter()
        .filter(|t| tiers.contains(*t))
        .cloned()
        .collect();
    let tiers_text = ordered.join(",");

    // Over-broad to every address: ports of narrow needs (from tiers, or from endpoints narrower than the world)
    // that no need from the whole world also asks for.
    let union = |filter: &dyn Fn(&Need) -> bool, protocol: Protocol| {
        carried
            .iter()
            .filter(|n| n.protocol == protocol && filter(n))
            .fold(PortSet::default(), |a, n| a.union(&n.ports))
    };
    let too_wide = |n: &Need| {
        n.ports
            .minus(&union(&|m: &Need| !m.peer.is_narrow(), n.protocol))
    };
    let world: Option<(String, BTreeSet<String>)> = if permission.peer.is_world() {
        let over: Vec<&&Need> = carried
            .iter()
            .filter(|n| n.peer.is_narrow())
            .filter(|n| match &permission.admits {
                Admits::All => !too_wide(n).is_empty(),
                Admits::Protocol(_, ports) => too_wide(n).overlaps(ports),
            })
            .collect();
        let ports = match &permission.admits {
            Admits::All => "all".to_string(),
            Admits::Protocol(protocol, ports) => {
                let narrow = union(&|n: &Need| n.peer.is_narrow(), *protocol).intersection(ports);
                let wide = union(&|n: &Need| !n.peer.is_narrow(), *protocol);
                ports_label(*protocol, &narrow.minus(&wide))
            }
        };
        (!over.is_empty()).then(|| (ports, over.iter().map(|n| n.peer.label()).collect()))
    } else {
        None
    };
    let internal: BTreeSet<String> = carried
        .iter()
        .filter(|n| matches!(n.peer, NeedPeer::Tier(_)))
        .map(|n| n.peer.label())
        .collect();
    let every_protocol = permission.admits == Admits::All && !internal.is_empty();

    let unexpected = match &permission.admits {
        Admits::All => Some("all".to_string()),
        Admits::Protocol(protocol, ports) => {
            let needed = union(&|_| true, *protocol);
            let mut extra = ports.minus(&needed);
            if protocol.has_ports() {
                // Port 0 is no service's port: admitting it is not worth a finding.
                extra = extra.minus(&PortSet::of([PortRange { from: 0, to: 0 }]));
            }
            (!extra.is_empty()).then(|| ports_label(*protocol, &extra))
        }
    };
    let what = format!(
        "{resources}: {direction} {} {} {} {peer}",
        permission.admits.protocol_label(),
        permission.admits.ports_label(),
        direction.peer_preposition()
    );
    let preposition = direction.peer_preposition();
    let nobody = format!("no needed flow of tier {tiers_text} asks for");
    let finding = if world.is_some() || every_protocol {
        let mut reasons = Vec::new();
        if let Some((ports, peers)) = &world {
            reasons.push(format!(
                "opens {ports} to every address where it is needed only {preposition} {}",
                peers.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        if every_protocol {
            reasons.push(format!(
                "admits every protocol where the flows {preposition} {} need only their own ports",
                internal.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        if let (Admits::Protocol(..), Some(extra)) = (&permission.admits, &unexpected) {
            reasons.push(format!("also admits {extra}, which {nobody}"));
        }
        Some(Finding {
            kind: FindingKind::OverBroad,
            ports: match (&world, every_protocol) {
                (Some((ports, _)), false) => ports.clone(),
                _ => "all".to_string(),
            },
            message: format!(
                "{what}: {}; carries {}",
                reasons.join("; "),
                flow_set.iter().cloned().collect::<Vec<_>>().join("; ")
            ),
        })
    } else {
        unexpected.map(|extra| {
            let detail = match &permission.admits {
                Admits::All if !flow_set.is_empty() => format!(
                    "admits every protocol and port where the flows it carries need only their own ({})",
                    flow_set.iter().cloned().collect::<Vec<_>>().join("; ")
                ),
                _ if extra == permission.admits.ports_label() => format!("{nobody} it"),
                _ => format!("admits {extra}, which {nobody}"),
            };
            Finding {
                kind: FindingKind::Excess,
                message: format!("{what}: {detail}"),
                ports: extra,
            }
        })
    };
    Check {
        subject: Subject::Permission,
        tiers: ordered,
        direction,
        protocol: permission.admits.protocol_label(),
        ports: permission.admits.ports_label(),
        peer,
        resources: permission.resources.clone(),
        flows: flow_set.into_iter().collect(),
        finding,
    }
}
