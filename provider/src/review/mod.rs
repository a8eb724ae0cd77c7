//! Plan review: the firewall rules of a Terraform plan compared with what a selection needs.
//!
//! Pure Rust, like the engine: it reads a `terraform show -json PLANFILE` document ([`parse_plan`]), places the
//! plan's groups on the selection's tiers ([`TierMap`]) and compares their permissions with the engine's rules
//! ([`review`]). Each need of the selection and each permission of the plan is one [`Check`]; a failed check
//! carries a [`Finding`]:
//!
//! - **missing**: a needed flow no permission admits (cloud defaults count: Google Cloud allows egress, Azure
//!   allows traffic within the virtual network and outbound; AWS allows nothing, since Terraform removes the
//!   default egress rule);
//! - **over-broad**: a permission that carries a needed internal flow — from a tier, or from an endpoint
//!   narrower than the whole address space — but opens it to 0.0.0.0/0 or ::/0, or a permission for every
//!   protocol that carries a needed flow between tiers;
//! - **excess**: otherwise, a permission that admits ports (or protocols) no needed flow with that peer asks for.

mod compare;
mod plan;
mod ports;
mod shape;
mod tiers;

pub use compare::review;
pub use plan::{parse_plan, Direction, Plan};
pub use tiers::{matches, TierMap};

use crate::spelled::spelled;

/// The outcome of a review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// Each tier with the keys of the groups placed on it, in the selection's order.
    pub tiers: Vec<(String, Vec<String>)>,
    /// Groups placed on no tier: not reviewed.
    pub unassigned: Vec<String>,
    /// Every need, then every permission of a group on some tier.
    pub checks: Vec<Check>,
    /// What was not evaluated, and why.
    pub warnings: Vec<String>,
}

impl Review {
    /// The failed checks, in check order.
    pub fn findings(&self) -> impl Iterator<Item = (&Check, &Finding)> {
        self.checks
            .iter()
            .filter_map(|c| c.finding.as_ref().map(|f| (c, f)))
    }

    /// How many findings of `kind` there are.
    pub fn count(&self, kind: FindingKind) -> usize {
        self.findings().filter(|(_, f)| f.kind == kind).count()
    }
}

/// What a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    /// A flow the selection needs.
    Need,
    /// A permission the plan grants.
    Permission,
}

spelled!(Subject {
    Need => "need",
    Permission => "permission",
});

/// One need or permission, and the finding when it fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Need or permission.
    pub subject: Subject,
    /// The tier of a need; the tiers of a permission's group.
    pub tiers: Vec<String>,
    /// Inbound or outbound, from the tier's side.
    pub direction: Direction,
    /// `tcp`, `udp`, `icmp`, a protocol number, or `all`.
    pub protocol: String,
    /// Ports, ICMP types or `all`.
    pub ports: String,
    /// The other side: a tier, `endpoint:cidr`, `self`, a group, an address block, a label.
    pub peer: String,
    /// The plan resources granting a permission (empty for a need).
    pub resources: Vec<String>,
    /// The catalog flows behind a need, or carried by a permission: `platform: from -> to (purpose)`.
    pub flows: Vec<String>,
    /// Why the check fails, if it does.
    pub finding: Option<Finding>,
}

/// Missing, excess or over-broad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    /// A needed flow no permission admits.
    Missing,
    /// A permission admitting what no needed flow asks for.
    Excess,
    /// A permission opening a needed internal flow to every address or every protocol.
    OverBroad,
}

impl FindingKind {
    /// Every kind, in report order.
    pub const ALL: [FindingKind; 3] = [
        FindingKind::Missing,
        FindingKind::Excess,
        FindingKind::OverBroad,
    ];
}

spelled!(FindingKind {
    Missing => "missing",
    Excess => "excess",
    OverBroad => "over-broad",
});

/// A failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What is wrong.
    pub kind: FindingKind,
    /// The ports at fault: not admitted (missing), admitted without need (excess; `all` for every protocol),
    /// or opened too widely (over-broad).
    pub ports: String,
    /// One sentence for people.
    pub message: String,
}

#[cfg(test)]
mod tests;
