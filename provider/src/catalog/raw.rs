//! The catalog document as written: serde structures that mirror the TOML format (`provider/catalogs/README.md`)
//! field for field, before validation turns them into the [`model`](super::model) types. Shared by the parser,
//! which reads them, and by validation, which consumes them.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::model::{Network, Tier};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRelease {
    pub format: i64,
    pub platform: RawPlatform,
    #[serde(default)]
    pub sources: Vec<RawSource>,
    #[serde(default)]
    pub parameters: Vec<RawParameter>,
    #[serde(default)]
    pub endpoints: Vec<RawEndpoint>,
    #[serde(default)]
    pub options: Vec<RawOption>,
    #[serde(default)]
    pub roles: Vec<RawRole>,
    #[serde(default)]
    pub flows: Vec<RawFlow>,
    #[serde(default)]
    pub loopback: Vec<RawLoopback>,
    #[serde(default)]
    pub not_flows: Vec<RawNotFlow>,
    #[serde(default)]
    pub disagreements: Vec<RawDisagreement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPlatform {
    pub name: String,
    pub title: String,
    pub versions: String,
    pub version_note: Option<String>,
    pub newest_read: Option<String>,
    pub summary: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub id: String,
    pub document: String,
    pub url: String,
    pub version: String,
    pub date: String,
    pub seed: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawParameter {
    pub name: String,
    pub description: String,
    pub default: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEndpoint {
    pub name: String,
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub formerly: Vec<String>,
    /// Accepted by the parser only to reject it with a message that says why.
    pub tiers: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOption {
    pub name: String,
    pub description: String,
    pub values: Vec<String>,
    pub default: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRole {
    pub name: String,
    pub title: String,
    pub network: RawNetwork,
    pub tiers: Vec<RawTier>,
    pub namespace: Option<String>,
    pub selector: Option<BTreeMap<String, String>>,
    pub every_pod: Option<bool>,
    pub description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFlow {
    pub from: String,
    pub to: String,
    pub protocol: String,
    pub ports: Option<Vec<String>>,
    pub port_parameter: Option<String>,
    pub icmp_types: Option<Vec<i64>>,
    pub purpose: String,
    pub source: String,
    pub rows: Vec<String>,
    #[serde(default)]
    pub when: BTreeMap<String, Vec<String>>,
    pub versions: Option<String>,
    pub note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLoopback {
    pub role: String,
    pub protocol: String,
    pub ports: Option<Vec<String>>,
    pub purpose: String,
    pub source: String,
    pub rows: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNotFlow {
    pub source: String,
    pub rows: Vec<String>,
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDisagreement {
    pub topic: String,
    pub text: String,
}

/// `network` as written; converted to [`Network`] by validation.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawNetwork {
    Pod,
    Host,
}

impl From<RawNetwork> for Network {
    fn from(raw: RawNetwork) -> Self {
        match raw {
            RawNetwork::Pod => Network::Pod,
            RawNetwork::Host => Network::Host,
        }
    }
}

/// A `tiers` entry as written; converted to [`Tier`] by validation.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawTier {
    Master,
    Worker,
    Lb,
    External,
}

impl From<RawTier> for Tier {
    fn from(raw: RawTier) -> Self {
        match raw {
            RawTier::Master => Tier::Master,
            RawTier::Worker => Tier::Worker,
            RawTier::Lb => Tier::Lb,
            RawTier::External => Tier::External,
        }
    }
}
