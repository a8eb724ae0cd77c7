//! SARIF 2.1.0 logs (`--sarif`) of `review` and `audit`, for code scanning in pipelines: one rule per finding
//! kind, one result per finding, located at the Terraform resource addresses (or security groups) it concerns.
//! Plans carry no source positions, so locations are logical, not files and lines.

use serde_json::{json, Value};

/// A kind of finding: its rule ID (`missing`, `excess`, ...), what it means, and the level of its results.
pub(super) struct SarifRule {
    pub(super) id: &'static str,
    pub(super) description: &'static str,
    pub(super) level: &'static str,
}

/// One finding.
pub(super) struct SarifResult {
    pub(super) rule: &'static str,
    pub(super) message: String,
    /// Fully qualified names of what it concerns: resource addresses, `tier master (sg-…)`.
    pub(super) locations: Vec<String>,
    /// The kind of those names (`resource`, `securityGroup`, `tier`).
    pub(super) location_kind: &'static str,
}

/// A SARIF log of one run of `portmatrix` with `rules` and `results`.
pub(super) fn log(rules: &[SarifRule], results: &[SarifResult]) -> Value {
    let level = |id: &str| {
        rules
            .iter()
            .find(|r| r.id == id)
            .map_or("warning", |r| r.level)
    };
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "portmatrix",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules.iter().map(|r| json!({
                    "id": r.id,
                    "shortDescription": {"text": r.description},
                    "defaultConfiguration": {"level": r.level},
                })).collect::<Vec<_>>(),
            }},
            "results": results.iter().map(|result| json!({
                "ruleId": result.rule,
                "ruleIndex": rules.iter().position(|r| r.id == result.rule).unwrap_or_default(),
                "level": level(result.rule),
                "message": {"text": result.message},
                "locations": result.locations.iter().map(|name| json!({
                    "logicalLocations": [{"fullyQualifiedName": name, "kind": result.location_kind}],
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }],
    })
}
