//! The opt-in extras (issue 9, point 7): monitoring flows behind an option `metrics` that defaults to "false", and
//! the small catalogs `kube-state-metrics` and `ssh-admin`. With every option at its default the expansion is the
//! same as before the extras existed, even when a `prometheus` endpoint is bound; with `metrics = "true"` the extra
//! rules appear, and every one of them starts at the scraper.

// Test code: here a failed unwrap, expect, index or panic is a failing test. clippy.toml exempts #[test]
// functions only, not the helpers around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use portmatrix::catalog::{Catalog, Selection};
use portmatrix::engine::{
    expand, EndpointSpec, Expansion, ExpansionRequest, Peer, PodNetwork, Rule,
};

/// Option settings of one platform.
type Options = &'static [(&'static str, &'static str)];

/// The platforms that gained a `metrics` option, each with the selection it is expanded in and its other options.
const SELECTIONS: &[(&str, &[&str], Options)] = &[
    ("kubernetes", &["kubernetes"], &[]),
    ("cilium", &["kubernetes", "cilium"], &[]),
    ("calico", &["kubernetes", "calico"], &[]),
    ("ingress-nginx", &["ingress-nginx"], &[]),
    (
        "ingress-nginx",
        &["ingress-nginx"],
        &[("exposure", "hostnetwork")],
    ),
];

fn prometheus() -> EndpointSpec {
    EndpointSpec {
        name: "prometheus".into(),
        ipv4: vec!["192.0.2.0/24".into()],
        tier: Some("worker".into()),
        ..Default::default()
    }
}

fn request(
    platforms: &[&str],
    touched: &str,
    options: &[(&str, &str)],
    endpoints: Vec<EndpointSpec>,
    pod_network: PodNetwork,
) -> ExpansionRequest {
    ExpansionRequest {
        platforms: platforms
            .iter()
            .map(|p| Selection {
                platform: (*p).to_owned(),
                version: None,
                options: if *p == touched {
                    options
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect()
                } else {
                    BTreeMap::new()
                },
            })
            .collect(),
        endpoints,
        pod_network,
        ..Default::default()
    }
}

fn run(request: &ExpansionRequest) -> Expansion {
    expand(Catalog::builtin(), request).unwrap_or_else(|e| panic!("{request:?}: {e:?}"))
}

#[test]
fn every_metrics_option_is_off_by_default_and_gates_every_scrape() {
    let mut gated = 0;
    for platform in ["kubernetes", "cilium", "calico", "ingress-nginx"] {
        for release in &Catalog::builtin()
            .platform(platform)
            .unwrap_or_else(|| panic!("{platform} is built in"))
            .releases
        {
            let option = release
                .options
                .iter()
                .find(|o| o.name == "metrics")
                .unwrap_or_else(|| panic!("{}: no option metrics", release.origin));
            assert_eq!(option.default, "false", "{}", release.origin);
            assert_eq!(option.values, ["false", "true"], "{}", release.origin);
            assert!(
                release.endpoints.iter().any(|e| e.name == "prometheus"),
                "{}: the scraper is the endpoint prometheus",
                release.origin
            );
            for flow in &release.flows {
                let from_scraper = flow.from == "prometheus";
                let needs_metrics =
                    flow.when.get("metrics").map(Vec::as_slice) == Some(&["true".to_owned()][..]);
                assert_eq!(
                    from_scraper, needs_metrics,
                    "{}: {} -> {} {}: a scrape needs metrics = \"true\" and only a scrape does",
                    release.origin, flow.from, flow.to, flow.purpose
                );
                gated += usize::from(needs_metrics);
            }
        }
    }
    // kubernetes 7, cilium 2, calico 3, ingress-nginx 2.
    assert_eq!(gated, 14);
}

#[test]
fn defaults_are_unchanged_even_with_a_prometheus_endpoint() {
    for (touched, platforms, options) in SELECTIONS {
        for pod_network in [PodNetwork::Overlay, PodNetwork::Routed] {
            let context = format!("{platforms:?} {options:?} {pod_network:?}");
            let without = run(&request(platforms, touched, options, vec![], pod_network));
            let with = run(&request(
                platforms,
                touched,
                options,
                vec![prometheus()],
                pod_network,
            ));
            assert_eq!(with.rules, without.rules, "{context}: rules");
            assert_eq!(with.not_needed, without.not_needed, "{context}: not needed");
            assert_eq!(with.skipped, without.skipped, "{context}: skipped");
            assert_eq!(with.warnings, without.warnings, "{context}: warnings");
            assert!(
                without.rules.iter().all(|r| r
                    .reasons
                    .iter()
                    .all(|reason| reason.from_role != "prometheus")),
                "{context}: a scrape with the defaults"
            );
        }
    }
}

#[test]
fn metrics_true_adds_only_rules_from_the_scraper() {
    for (touched, platforms, options) in SELECTIONS {
        let mut on: Vec<(&str, &str)> = options.to_vec();
        on.push(("metrics", "true"));
        for pod_network in [PodNetwork::Overlay, PodNetwork::Routed] {
            let context = format!("{platforms:?} {on:?} {pod_network:?}");
            let off = run(&request(
                platforms,
                touched,
                options,
                vec![prometheus()],
                pod_network,
            ));
            let extras = run(&request(
                platforms,
                touched,
                &on,
                vec![prometheus()],
                pod_network,
            ));
            let scrape = |rule: &Rule| {
                rule.reasons
                    .iter()
                    .any(|r| r.platform == *touched && r.from_role == "prometheus")
            };
            let added: Vec<&Rule> = extras.rules.iter().filter(|r| scrape(r)).collect();
            // An overlay carries scrapes of pods inside the tunnel: only host roles need rules then.
            let pods_only = *touched == "ingress-nginx" && options.is_empty();
            assert_eq!(
                added.is_empty(),
                pods_only && pod_network == PodNetwork::Overlay,
                "{context}: {added:?}"
            );
            for rule in &added {
                assert!(
                    matches!(&rule.source, Peer::Tier(t) if t == "worker")
                        || matches!(&rule.source, Peer::Endpoint(e) if e == "prometheus"),
                    "{context}: {} does not start at the scraper",
                    rule.key()
                );
            }
            // The rules of the defaults stay: each one, or a merged rule between the same peers that keeps its
            // reasons (a scrape of 10250 joins metrics-server's rule, for one). Nothing else is new.
            for rule in &off.rules {
                assert!(
                    extras.rules.iter().any(|r| r.source == rule.source
                        && r.destination == rule.destination
                        && r.protocol == rule.protocol
                        && rule.reasons.iter().all(|reason| r.reasons.contains(reason))),
                    "{context}: {} is gone",
                    rule.key()
                );
            }
            for rule in &extras.rules {
                assert!(
                    off.rules.contains(rule) || scrape(rule),
                    "{context}: {} is neither a default rule nor a scrape",
                    rule.key()
                );
            }
        }
    }
}
