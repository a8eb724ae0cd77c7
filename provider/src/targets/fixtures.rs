//! Building blocks for the targets' tests: hand-made rules and reasons, so each test states only what it is about.

use crate::catalog::{PortRange, Protocol};
use crate::engine::{Peer, Reason, Rule, RulePorts};

/// A reason of `platform` with `purpose`; the other fields are placeholders.
pub fn reason(platform: &str, purpose: &str) -> Reason {
    Reason {
        platform: platform.into(),
        versions: "*".into(),
        from_role: "a".into(),
        to_role: "b".into(),
        purpose: purpose.into(),
        document: "doc".into(),
        url: "https://example.invalid/doc".into(),
        rows: vec![],
    }
}

/// A tier peer.
pub fn tier(name: &str) -> Peer {
    Peer::Tier(name.into())
}

/// An endpoint peer.
pub fn endpoint(name: &str) -> Peer {
    Peer::Endpoint(name.into())
}

/// A rule of `platform`.
pub(crate) fn rule_of(
    platform: &str,
    source: Peer,
    destination: Peer,
    protocol: Protocol,
    ports: RulePorts,
    purpose: &str,
) -> Rule {
    Rule {
        source,
        destination,
        protocol,
        ports,
        reasons: vec![reason(platform, purpose)],
    }
}

/// A rule of the made-up platform `k8s`.
pub fn rule(
    source: Peer,
    destination: Peer,
    protocol: Protocol,
    ports: RulePorts,
    purpose: &str,
) -> Rule {
    rule_of("k8s", source, destination, protocol, ports, purpose)
}

/// A port range.
pub fn range(from: u16, to: u16) -> RulePorts {
    RulePorts::Range(PortRange { from, to })
}
