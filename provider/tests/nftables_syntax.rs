//! Every nftables ruleset generated for the stacks of the AWS issue (Kublr bring-your-own-infrastructure,
//! Deckhouse static nodes with its modules on, Kubernetes + Calico + Longhorn), under every combination of
//! policies, pod ranges and address families, is checked by nftables itself with `nft -c -f`.
//!
//! `nft -c` parses and evaluates the file (set types against the expressions that use them, port ranges, ICMP
//! type names, overlapping set elements, comment lengths) and asks the kernel to validate the transaction
//! without committing it, so it needs netlink. It runs inside `unshare -rn` (a new user and network namespace:
//! no privileges needed, and the host's own ruleset is neither read nor touched) when this machine allows user
//! namespaces, and directly otherwise, which works as root (as in CI). A missing `nft` fails the test: install
//! the Debian package `nftables` (acceptance-tests/setup.sh does).

// Test code: here a failed unwrap, expect, index or panic is a failing test. clippy.toml exempts #[test]
// functions only, not the helpers around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use portmatrix::catalog::{Catalog, Selection};
use portmatrix::engine::{self, EndpointSpec, Expansion, ExpansionRequest, PodNetwork};
use portmatrix::targets::nftables::{self, NftOptions, Policy};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// How to run `nft -c -f FILE` here: the command and its leading arguments.
fn nft_check_command() -> &'static (PathBuf, Vec<String>) {
    static FOUND: OnceLock<(PathBuf, Vec<String>)> = OnceLock::new();
    FOUND.get_or_init(|| {
        // /usr/sbin is not on every user's PATH.
        let nft = ["nft", "/usr/sbin/nft", "/sbin/nft"]
            .iter()
            .map(PathBuf::from)
            .find(|candidate| {
                Command::new(candidate)
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success())
            })
            .unwrap_or_else(|| {
                panic!(
                    "nft not found: install the Debian package nftables (acceptance-tests/setup.sh does) to \
                     check the generated rulesets"
                )
            });
        let namespaces = Command::new("unshare")
            .args(["-rn", "true"])
            .output()
            .is_ok_and(|o| o.status.success());
        if namespaces {
            (
                PathBuf::from("unshare"),
                vec!["-rn".into(), nft.display().to_string()],
            )
        } else {
            (nft, Vec::new())
        }
    })
}

/// Runs `nft -c -f` on `file`; `Err` carries nft's messages.
fn nft_check(file: &Path) -> Result<(), String> {
    let (program, leading) = nft_check_command();
    let output = Command::new(program)
        .args(leading)
        .args(["-c", "-f"])
        .arg(file)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn platform(name: &str, version: Option<&str>, options: &[(&str, &str)]) -> Selection {
    Selection {
        platform: name.into(),
        version: version.map(str::to_string),
        options: options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn endpoint(name: &str, ipv4: &[&str], ipv6: &[&str]) -> EndpointSpec {
    EndpointSpec {
        name: name.into(),
        ipv4: ipv4.iter().map(|s| s.to_string()).collect(),
        ipv6: ipv6.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

fn on_tier(name: &str, tier: &str) -> EndpointSpec {
    EndpointSpec {
        name: name.into(),
        tier: Some(tier.into()),
        ..Default::default()
    }
}

/// The stacks of the AWS issue, with an address for every endpoint their flows reach.
fn stacks() -> Vec<(&'static str, ExpansionRequest)> {
    let kublr = |cni: &str| ExpansionRequest {
        platforms: vec![platform(
            "kublr",
            None,
            &[
                ("cni", cni),
                ("byo_infrastructure", "true"),
                ("master_lb", "true"),
                ("ingress_lb", "true"),
            ],
        )],
        endpoints: vec![
            endpoint("internet", &["0.0.0.0/0"], &["::/0"]),
            endpoint("kcp-node", &["192.0.2.0/28"], &["2001:db8:c0::/64"]),
            on_tier("managed-cluster-api", "master"),
            endpoint("cloud-api", &["198.51.100.7/32"], &[]),
        ],
        ..Default::default()
    };
    let deckhouse = |version: &str| ExpansionRequest {
        platforms: vec![platform(
            "deckhouse",
            Some(version),
            &[
                ("sds_replicated_volume", "true"),
                ("sds_node_configurator", "true"),
                ("virtualization", "true"),
                ("metallb", "true"),
                ("l2_load_balancer", "true"),
                ("openvpn", "true"),
                ("node_local_dns", "true"),
                ("runtime_audit_engine", "true"),
                ("ingress_host_with_failover", "true"),
                ("ebpf_exporter", "true"),
                ("kube_router", "true"),
                ("cloud_provider_vcd", "true"),
            ],
        )],
        endpoints: vec![
            endpoint("administrators", &["203.0.113.0/24"], &["2001:db8:ad::/48"]),
            endpoint("frontend-clients", &["0.0.0.0/0"], &["::/0"]),
            endpoint("external-balancers", &["198.51.100.0/24"], &[]),
            endpoint("dns-servers", &["10.0.0.2/32"], &[]),
            endpoint("ntp-servers", &["169.254.169.123/32"], &[]),
            endpoint("container-registry", &["10.1.0.0/16", "10.1.2.0/24"], &[]),
        ],
        ..Default::default()
    };
    let kubernetes_calico_longhorn = |pod_network: PodNetwork| ExpansionRequest {
        platforms: vec![
            platform("kubernetes", None, &[]),
            platform("calico", None, &[]),
            platform("longhorn", Some("1.6.0"), &[]),
        ],
        endpoints: vec![
            endpoint("api-clients", &["203.0.113.0/24"], &["2001:db8:c::/48"]),
            endpoint(
                "nodeport-clients",
                &["203.0.113.0/24"],
                &["2001:db8:c::/48"],
            ),
            endpoint("load-balancers", &["10.0.200.0/24"], &[]),
            endpoint("backupstore", &["192.0.2.10/32"], &["2001:db8::10/128"]),
            on_tier("kubernetes-api-server", "master"),
            endpoint("image-download-server", &["198.51.100.20/32"], &[]),
        ],
        parameters: [
            ("apiserver_port", 6443),
            ("backupstore_port", 9000),
            ("image_download_port", 443),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        pod_network,
        ..Default::default()
    };
    vec![
        ("kublr byoi canal", kublr("canal")),
        ("kublr byoi calico", kublr("calico")),
        ("deckhouse 1.64 static, modules on", deckhouse("1.64")),
        ("deckhouse 1.67 static, modules on", deckhouse("1.67")),
        (
            "kubernetes+calico+longhorn overlay",
            kubernetes_calico_longhorn(PodNetwork::Overlay),
        ),
        (
            "kubernetes+calico+longhorn routed",
            kubernetes_calico_longhorn(PodNetwork::Routed),
        ),
    ]
}

/// Addresses for the default tiers in one family, or both.
fn tier_addresses(v4: bool, v6: bool) -> BTreeMap<String, Vec<String>> {
    let mut map = BTreeMap::new();
    for (tier, four, six) in [
        ("master", ["10.10.1.0/24", "10.10.1.200"], "fd00:10:1::/64"),
        ("worker", ["10.10.2.0/24", "10.10.3.0/24"], "fd00:10:2::/64"),
        ("lb", ["10.10.9.10", "10.10.9.11"], "fd00:10:9::10"),
    ] {
        let mut list = Vec::new();
        if v4 {
            list.extend(four.iter().map(|s| s.to_string()));
        }
        if v6 {
            list.push(six.to_string());
        }
        map.insert(tier.to_string(), list);
    }
    map
}

/// Policies, pod ranges and address families every stack is written with.
fn variants() -> Vec<(String, NftOptions)> {
    let mut out = Vec::new();
    for (v4, v6) in [(true, false), (true, true), (false, true)] {
        for (input, output) in [
            (Policy::Drop, None),
            (Policy::Drop, Some(Policy::Drop)),
            (Policy::Accept, Some(Policy::Accept)),
        ] {
            for pods in [&[][..], &["10.244.0.0/16", "fd00:244::/56"][..]] {
                out.push((
                    format!("v4 {v4} v6 {v6}, input {input}, output {output:?}, pods {pods:?}"),
                    NftOptions {
                        tier_addresses: tier_addresses(v4, v6),
                        pod_cidrs: pods.iter().map(|s| s.to_string()).collect(),
                        input_policy: input,
                        output_policy: output,
                    },
                ));
            }
        }
    }
    out
}

fn expand(request: &ExpansionRequest) -> Expansion {
    engine::expand(Catalog::builtin(), request).unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn every_generated_ruleset_passes_nft_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut checked = 0;
    let mut failures = Vec::new();
    for (stack, request) in stacks() {
        let expansion = expand(&request);
        for (variant, options) in variants() {
            let result = nftables::rulesets(&expansion, &options)
                .unwrap_or_else(|e| panic!("{stack}, {variant}: {e:?}"));
            assert!(!result.rulesets.is_empty(), "{stack}, {variant}");
            for (tier, text) in &result.rulesets {
                let file = dir.path().join(format!("{checked}-{tier}.nft"));
                std::fs::write(&file, text).expect("write ruleset");
                if let Err(message) = nft_check(&file) {
                    failures.push(format!(
                        "{stack}, {variant}, tier {tier}:\n{message}\n{text}"
                    ));
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 100, "only {checked} rulesets were checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} rulesets fail nft -c:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn nft_check_rejects_what_it_should() {
    // The checker is only worth something if it fails: a reference to a set the table does not declare, a set
    // of the wrong family, and a port past 65535.
    let request = &stacks()[0].1;
    let options = NftOptions {
        tier_addresses: tier_addresses(true, true),
        ..Default::default()
    };
    let text = nftables::rulesets(&expand(request), &options)
        .expect("rulesets")
        .rulesets
        .remove("worker")
        .expect("a worker ruleset");
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("good.nft");
    std::fs::write(&good, &text).expect("write");
    assert_eq!(nft_check(&good), Ok(()));
    for (what, broken) in [
        (
            "undeclared set",
            text.replacen("@tier_master_v4", "@tier_nowhere_v4", 1),
        ),
        (
            "family mismatch",
            text.replacen("ip saddr @tier_master_v4", "ip6 saddr @tier_master_v4", 1),
        ),
        (
            "port out of range",
            text.replacen("dport 10250", "dport 70000", 1),
        ),
    ] {
        assert_ne!(
            broken, text,
            "{what}: the replacement found nothing to break"
        );
        let file = dir.path().join("broken.nft");
        std::fs::write(&file, &broken).expect("write");
        assert!(nft_check(&file).is_err(), "nft -c accepted a {what}");
    }
}
