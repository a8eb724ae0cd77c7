//! The catalog as `portmatrix_catalog` lists it: each platform with its releases, their sources, roles, options,
//! parameters and endpoints. The structs declare the data source's outputs (see [`crate::output_shape`]).

use super::{Catalog, Disagreement, Endpoint, OptionSpec, Parameter, Release, Role, Source};
use crate::output_shape::output_struct;

output_struct! {
    /// The outputs of `portmatrix_catalog`.
    pub struct Listing<'a> {
        /// Names of the listed platforms, sorted.
        platform_names: Vec<&'a str>,
        /// The listed platforms, sorted by name, each with its `releases` (oldest first): `versions`
        /// (a semver range, `*` when the upstream page is not versioned), `sources`, `roles` (with
        /// `network` `pod` or `host` and default `tiers`), `options` (allowed `values` and `default`),
        /// `parameters` (values you supply; `default` only where the source states one), `endpoints`
        /// (places outside the cluster you give addresses for), `flow_count` and `disagreements`
        /// between sources.
        platforms: Vec<PlatformListing<'a>>,
    }
}

output_struct! {
    /// A platform; title and summary come from its newest release, which is how users know it today.
    struct PlatformListing<'a> {
        name: &'a str,
        title: &'a str,
        summary: &'a str,
        releases: Vec<ReleaseListing<'a>>,
    }
}

output_struct! {
    /// One release.
    struct ReleaseListing<'a> {
        versions: &'a str,
        version_note: Option<&'a str>,
        newest_read: Option<&'a str>,
        origin: &'a str,
        flow_count: usize,
        sources: Vec<SourceListing<'a>>,
        roles: Vec<RoleListing<'a>>,
        options: Vec<OptionListing<'a>>,
        parameters: Vec<ParameterListing<'a>>,
        endpoints: Vec<EndpointListing<'a>>,
        disagreements: Vec<DisagreementListing<'a>>,
    }
}

output_struct! {
    /// A source document.
    struct SourceListing<'a> {
        id: &'a str,
        document: &'a str,
        url: &'a str,
        version: &'a str,
        date: &'a str,
    }
}

output_struct! {
    /// A role.
    struct RoleListing<'a> {
        name: &'a str,
        title: &'a str,
        network: String,
        tiers: Vec<String>,
        namespace: Option<&'a str>,
        selector: &'a std::collections::BTreeMap<String, String>,
        description: &'a str,
    }
}

output_struct! {
    /// An option.
    struct OptionListing<'a> {
        name: &'a str,
        description: &'a str,
        values: &'a [String],
        default: &'a str,
    }
}

output_struct! {
    /// A parameter.
    struct ParameterListing<'a> {
        name: &'a str,
        description: &'a str,
        default: Option<u16>,
    }
}

output_struct! {
    /// An endpoint.
    struct EndpointListing<'a> {
        name: &'a str,
        title: &'a str,
        description: &'a str,
    }
}

output_struct! {
    /// A disagreement between sources.
    struct DisagreementListing<'a> {
        topic: &'a str,
        text: &'a str,
    }
}

/// The platforms of `catalog`, or only the one named `platform`.
pub fn listing<'a>(catalog: &'a Catalog, platform: Option<&str>) -> Listing<'a> {
    let platforms: Vec<_> = catalog
        .platforms()
        .filter(|p| platform.is_none_or(|name| p.name == name))
        .map(|platform| {
            let newest = platform.releases.last().map(|r| &r.platform);
            PlatformListing {
                name: &platform.name,
                title: newest.map(|p| p.title.as_str()).unwrap_or_default(),
                summary: newest.map(|p| p.summary.as_str()).unwrap_or_default(),
                releases: platform.releases.iter().map(release).collect(),
            }
        })
        .collect();
    Listing {
        platform_names: platforms.iter().map(|p| p.name).collect(),
        platforms,
    }
}

fn release(release: &Release) -> ReleaseListing<'_> {
    ReleaseListing {
        versions: release.platform.versions.text(),
        version_note: release.platform.version_note.as_deref(),
        newest_read: release.platform.newest_read.as_ref().map(|n| n.text()),
        origin: &release.origin,
        flow_count: release.flows.len(),
        sources: release.sources.iter().map(source).collect(),
        roles: release.roles.iter().map(role).collect(),
        options: release.options.iter().map(option).collect(),
        parameters: release.parameters.iter().map(parameter).collect(),
        endpoints: release.endpoints.iter().map(endpoint).collect(),
        disagreements: release.disagreements.iter().map(disagreement).collect(),
    }
}

fn source(s: &Source) -> SourceListing<'_> {
    SourceListing {
        id: &s.id,
        document: &s.document,
        url: &s.url,
        version: &s.version,
        date: &s.date,
    }
}

fn role(r: &Role) -> RoleListing<'_> {
    RoleListing {
        name: &r.name,
        title: &r.title,
        network: r.network.to_string(),
        tiers: r.tiers.iter().map(ToString::to_string).collect(),
        namespace: r.namespace.as_deref(),
        selector: &r.selector,
        description: &r.description,
    }
}

fn option(o: &OptionSpec) -> OptionListing<'_> {
    OptionListing {
        name: &o.name,
        description: &o.description,
        values: &o.values,
        default: &o.default,
    }
}

fn parameter(p: &Parameter) -> ParameterListing<'_> {
    ParameterListing {
        name: &p.name,
        description: &p.description,
        default: p.default,
    }
}

fn endpoint(e: &Endpoint) -> EndpointListing<'_> {
    EndpointListing {
        name: &e.name,
        title: &e.title,
        description: &e.description,
    }
}

fn disagreement(d: &Disagreement) -> DisagreementListing<'_> {
    DisagreementListing {
        topic: &d.topic,
        text: &d.text,
    }
}
