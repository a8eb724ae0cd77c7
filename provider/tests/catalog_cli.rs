//! The `portmatrix` command line run as a user would: every platform listed, releases shown, upgrades diffed,
//! errors with exit code 2.

// Test code: here a failed unwrap, expect, index or panic is a failing test. clippy.toml exempts #[test]
// functions only, not the helpers around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;

/// Every platform the catalog issue names.
const PLATFORMS: [&str; 27] = [
    "aks",
    "calico",
    "canal",
    "cert-manager",
    "cilium",
    "deckhouse",
    "eks",
    "etcd",
    "flannel",
    "gke",
    "ingress-nginx",
    "istio",
    "k3s",
    "kube-state-metrics",
    "kube-vip",
    "kubernetes",
    "kublr",
    "linkerd",
    "longhorn",
    "metallb",
    "node-egress",
    "node-exporter",
    "rancher",
    "rke2",
    "rook-ceph",
    "ssh-admin",
    "weave",
];

fn portmatrix(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_portmatrix"))
        .args(args)
        .output()
        .expect("portmatrix runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn list_names_every_platform_for_people_and_pipelines() {
    let (code, json, stderr) = portmatrix(&["catalog", "list", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.is_empty(),
        "no built-in catalog may fail to load: {stderr}"
    );
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let names: Vec<&str> = parsed["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, PLATFORMS);
    let (code, table, _) = portmatrix(&["catalog", "list"]);
    assert_eq!(code, 0);
    for platform in PLATFORMS {
        assert!(
            table.lines().any(|line| line.starts_with(platform)),
            "{platform} missing from:\n{table}"
        );
    }
}

#[test]
fn show_and_diff_answer_the_upgrade_question() {
    let (code, shown, _) = portmatrix(&["catalog", "show", "longhorn", "--version", "1.4.2"]);
    assert_eq!(code, 0);
    assert!(
        shown.contains("9600"),
        "1.4 has the NFS recovery backend on 9600:\n{shown}"
    );
    let (code, diff, _) = portmatrix(&["catalog", "diff", "longhorn", "1.4", "1.5", "--json"]);
    assert_eq!(code, 0);
    let text = diff.to_string();
    for port in ["9600", "9501", "9502", "9503", "8502", "8503", "8504"] {
        assert!(
            text.contains(port),
            "diff 1.4 -> 1.5 should mention {port}:\n{text}"
        );
    }
}

#[test]
fn bad_input_exits_2_and_lists_valid_values() {
    let (code, stdout, stderr) = portmatrix(&["catalog", "show", "longhron"]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("longhorn"), "{stderr}");
    let (code, _, stderr) = portmatrix(&["catalog", "show", "kublr", "--option", "cni=cilium"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("canal") && stderr.contains("calico"),
        "{stderr}"
    );
}

/// The release file answering `platform` at `version` (from `catalog show --json`), and standard error.
fn release_of(platform: &str, version: &str) -> Result<(String, String), String> {
    let (code, json, stderr) =
        portmatrix(&["catalog", "show", platform, "--version", version, "--json"]);
    if code != 0 {
        return Err(stderr);
    }
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    Ok((parsed["origin"].as_str().unwrap().to_owned(), stderr))
}

/// Which file answers each version, written from the documents read: etcd-io/website configuration pages v3.4
/// (@0d6e903e) and v3.5/v3.6/v3.7 (@ec9870cb, v3.8 is a draft); flannel-io/flannel Documentation/backends.md, the
/// same blob in tags v0.22.1-v0.28.8 and the master text (@0947994a) in v0.28.9; Longhorn's networking page up to
/// v1.13.0; the Deckhouse v1.67 page and deckhouse-ports.yml of v1.74 (@6e01cad3), nothing in between; the ingress-nginx guide of controller-v1.5.2; cert-manager/website's
/// compatibility pages of v1.3 to v1.20 and of the current docs, 1.21 (@776e5dba).
#[test]
fn versions_map_to_what_was_read_and_later_ones_warn() {
    let covered = [
        ("etcd", "3.4.27", "etcd-3.4.toml"),
        ("etcd", "3.5.0", "etcd-3.5.toml"),
        ("etcd", "3.5.21", "etcd-3.5.toml"),
        ("etcd", "3.6.4", "etcd-3.6.toml"),
        ("etcd", "3.7.0", "etcd-3.7.toml"),
        ("flannel", "0.22.0", "flannel-0.22.toml"),
        ("flannel", "0.26.7", "flannel-0.22.toml"),
        ("flannel", "0.27.4", "flannel-0.22.toml"),
        ("flannel", "0.28.0", "flannel-0.28.toml"),
        ("flannel", "0.28.9", "flannel-0.28.toml"),
        ("longhorn", "1.13.0", "longhorn-1.5.toml"),
        ("deckhouse", "1.67.3", "deckhouse-1.67.toml"),
        ("deckhouse", "1.74.0", "deckhouse-1.74.toml"),
        ("ingress-nginx", "1.5.2", "ingress-nginx.toml"),
        ("cert-manager", "1.3.0", "cert-manager.toml"),
        ("cert-manager", "1.21.2", "cert-manager.toml"),
    ];
    for (platform, version, file) in covered {
        let (origin, stderr) = release_of(platform, version).unwrap();
        assert_eq!(origin, file, "{platform} {version}");
        assert!(stderr.is_empty(), "{platform} {version} was read: {stderr}");
    }
    let beyond = [
        ("etcd", "3.8.0", "etcd-3.7.toml", "3.7"),
        ("flannel", "0.29.0", "flannel-0.28.toml", "0.28"),
        ("longhorn", "2.0", "longhorn-1.5.toml", "1.13"),
        ("longhorn", "1.14.0-rc.1", "longhorn-1.5.toml", "1.13"),
        ("deckhouse", "1.75", "deckhouse-1.74.toml", "1.74"),
        ("ingress-nginx", "1.6.0", "ingress-nginx.toml", "1.5"),
        ("cert-manager", "1.22.0", "cert-manager.toml", "1.21"),
    ];
    for (platform, version, file, read) in beyond {
        let (origin, stderr) = release_of(platform, version).unwrap();
        assert_eq!(origin, file, "{platform} {version}");
        assert!(
            stderr.starts_with(&format!("warning: {platform} "))
                && stderr.contains(&format!(
                    "is newer than the newest version whose documentation was read ({read})"
                )),
            "{platform} {version}: {stderr}"
        );
    }
    // Read only from unreleased main-branch pages (newest_read = "none"): every version warns.
    for (platform, version, file) in [
        ("cilium", "1.12.0", "cilium.toml"),
        ("cilium", "1.18.2", "cilium.toml"),
        ("metallb", "0.13.0", "metallb.toml"),
        ("metallb", "0.15.2", "metallb.toml"),
    ] {
        let (origin, stderr) = release_of(platform, version).unwrap();
        assert_eq!(origin, file, "{platform} {version}");
        assert!(
            stderr.starts_with(&format!("warning: {platform} "))
                && stderr.contains(&format!("no released documentation of {platform} was read")),
            "{platform} {version}: {stderr}"
        );
    }
    for (platform, version) in [
        // cilium-agent and cilium-operator metrics were 9090 and 6942 before 1.12 (cilium.toml's version_note).
        ("cilium", "1.11.7"),
        ("metallb", "0.12.1"),
        ("etcd", "3.3.9"),
        ("flannel", "0.21.5"),
        ("cert-manager", "1.2.0"),
        ("deckhouse", "1.68.0"),
        ("deckhouse", "1.73.4"),
    ] {
        let stderr = release_of(platform, version).unwrap_err();
        assert!(
            stderr.contains(&format!("no release of {platform} covers version")),
            "{stderr}"
        );
    }
    let (code, _, stderr) = portmatrix(&["catalog", "diff", "longhorn", "1.12", "2.0"]);
    assert_eq!(code, 0);
    assert!(stderr.contains("longhorn 2.0.0 is newer"), "{stderr}");
    let (code, _, stderr) = portmatrix(&[
        "expand",
        "--platform",
        "etcd",
        "--version",
        "3.9",
        "--endpoint",
        "etcd-clients=10.0.0.0/24",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("warning: etcd 3.9.0 is newer"), "{stderr}");
}

/// The etcd and flannel tables did not change between the versions read, nor Rancher's Port Requirements page between
/// its 2.6 (@14f94957) and 2.10 (@5d51acf2) copies: every diff is empty.
#[test]
fn unchanged_tables_diff_empty() {
    for (platform, from, to) in [
        ("etcd", "3.4", "3.5"),
        ("etcd", "3.5", "3.6"),
        ("etcd", "3.6", "3.7"),
        ("flannel", "0.27", "0.28"),
        ("rancher", "2.6", "2.10"),
    ] {
        let (code, json, stderr) = portmatrix(&["catalog", "diff", platform, from, to, "--json"]);
        assert_eq!(code, 0, "{stderr}");
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            parsed["removed"],
            serde_json::json!([]),
            "{platform} {from} -> {to}"
        );
        assert_eq!(
            parsed["added"],
            serde_json::json!([]),
            "{platform} {from} -> {to}"
        );
    }
}

/// One release as `catalog list --json` shows it: versions, newest version read, file.
type Listed = (&'static str, &'static str, &'static str);

/// The platforms added from their own documentation (issue 15), as `catalog list --json` shows them: each release's
/// range and the newest version read, written from the documents: Istio's istiod Service identical to the page's table
/// at every minor tag 1.8.0-1.30.0 (istio/istio); Linkerd's docs 2.10-2.19 (linkerd/website @93f00175); Rook's pages at
/// the tags v1.11.0-v1.20.0 (rook/rook); kube-vip's unversioned site (kube-vip/website); Rancher's Port Requirements
/// page for 2.6, 2.10 and 2.13 (rancher/rancher-docs).
#[test]
fn new_platforms_list_their_version_ranges() {
    let (code, json, stderr) = portmatrix(&["catalog", "list", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let ranges = |name: &str| -> Vec<(String, String, String)> {
        parsed["platforms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} is listed"))["releases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["versions"].as_str().unwrap().to_owned(),
                    r["newest_read"].as_str().unwrap_or("-").to_owned(),
                    r["origin"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let expected: &[(&str, &[Listed])] = &[
        ("istio", &[(">=1.8.0", "1.30", "istio.toml")]),
        ("linkerd", &[(">=2.10.0", "2.19", "linkerd.toml")]),
        // rancher/rancher-docs holds the Port Requirements page for 2.6 (@14f94957), 2.10 (@5d51acf2) and 2.13
        // (@cba36f00), not for 2.7-2.9, 2.11 or 2.12.
        (
            "rancher",
            &[
                (">=2.6.0, <2.7.0", "-", "rancher-2.6.toml"),
                (">=2.10.0, <2.11.0", "-", "rancher-2.10.toml"),
                (">=2.13.0", "2.13", "rancher-2.13.toml"),
            ],
        ),
    ];
    for (name, releases) in expected {
        let want: Vec<(String, String, String)> = releases
            .iter()
            .map(|(v, r, o)| ((*v).to_owned(), (*r).to_owned(), (*o).to_owned()))
            .collect();
        assert_eq!(ranges(name), want, "{name}");
    }
    let (code, table, _) = portmatrix(&["catalog", "list"]);
    assert_eq!(code, 0);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("istio ") && l.contains(">=1.8.0") && l.contains("1.30")),
        "{table}"
    );
    let (origin, stderr) = release_of("istio", "1.30.1").unwrap();
    assert_eq!((origin.as_str(), stderr.as_str()), ("istio.toml", ""));
    let (_, stderr) = release_of("istio", "1.31.0").unwrap();
    assert!(
        stderr.contains("is newer than the newest version whose documentation was read (1.30)"),
        "{stderr}"
    );
    let (origin, stderr) = release_of("linkerd", "2.10.2").unwrap();
    assert_eq!((origin.as_str(), stderr.as_str()), ("linkerd.toml", ""));
    let (origin, stderr) = release_of("rook-ceph", "1.11.0").unwrap();
    assert_eq!((origin.as_str(), stderr.as_str()), ("rook-ceph.toml", ""));
    let (origin, stderr) = release_of("rancher", "2.10.4").unwrap();
    assert_eq!(
        (origin.as_str(), stderr.as_str()),
        ("rancher-2.10.toml", "")
    );
    let (origin, _) = release_of("rancher", "2.14.0").unwrap();
    assert_eq!(origin, "rancher-2.13.toml");
    for (platform, version) in [
        ("istio", "1.7.0"),
        ("linkerd", "2.9.4"),
        ("rook-ceph", "1.10.9"),
        ("rancher", "2.12.0"),
    ] {
        let stderr = release_of(platform, version).unwrap_err();
        assert!(
            stderr.contains(&format!("no release of {platform} covers version")),
            "{stderr}"
        );
    }
}

/// Rancher 2.13's Port Requirements page (@cba36f00) no longer has the tab "Ports for Rancher Server Nodes on RKE"
/// that 2.10's (@5d51acf2) has; everything else reads the same. The diff removes exactly that tab's rows: nine between
/// Rancher nodes, five inbound (22 from RKE CLI, 80 and 443 from Load Balancer/Reverse Proxy, 443 from cluster nodes and
/// API/UI clients, 6443 from Kubernetes API clients), five outbound (443 git.rancher.io, 22, 2376, 6443, "Provider
/// dependent").
#[test]
fn rancher_2_13_drops_the_rke_tab() {
    let (code, json, stderr) =
        portmatrix(&["catalog", "diff", "rancher", "2.10", "2.13", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["added"], serde_json::json!([]));
    let mut removed: Vec<String> = parsed["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(
                f["when"]["rancher_install"],
                serde_json::json!(["rke"]),
                "{f}"
            );
            format!(
                "{} -> {} {} {}",
                f["from"].as_str().unwrap(),
                f["to"].as_str().unwrap(),
                f["protocol"].as_str().unwrap(),
                f["port"].as_str().unwrap()
            )
        })
        .collect();
    removed.sort();
    let mut expected = vec![
        "rancher-server -> rancher-server tcp 443",
        "rancher-server -> rancher-server tcp 2379",
        "rancher-server -> rancher-server tcp 2380",
        "rancher-server -> rancher-server tcp 6443",
        "rancher-server -> rancher-server tcp 8443",
        "rancher-server -> rancher-server udp 8472",
        "rancher-server -> rancher-server tcp 9099",
        "rancher-server -> rancher-server tcp 10250",
        "rancher-server -> rancher-server tcp 10254",
        "rke-cli -> rancher-server tcp 22",
        "load-balancer -> rancher-server tcp 80",
        "load-balancer -> rancher-server tcp 443",
        "downstream-clusters -> rancher-server tcp 443",
        "ui-clients -> rancher-server tcp 443",
        "api-clients -> rancher-server tcp 6443",
        "rancher-server -> git-rancher-io tcp 443",
        "rancher-server -> node-driver-nodes tcp 22",
        "rancher-server -> node-driver-nodes tcp 2376",
        "rancher-server -> downstream-api tcp 6443",
        "rancher-server -> downstream-api tcp ${hosted_api_port}",
    ];
    expected.sort();
    assert_eq!(removed, expected);
}

/// Istio's rows that are read but not flows (`[[not_flows]]`) show with their reason; other releases show no such
/// section, and their JSON has no such key.
#[test]
fn show_lists_rows_that_are_not_flows() {
    let (code, text, stderr) = portmatrix(&["catalog", "show", "istio"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        text.contains(
            "\nNot flows (rows read, deliberately no rule)\n- Ports used by Istio | 15001 | TCP | Envoy outbound | No; \
             Ports used by Istio | 15006 | TCP | Envoy inbound | No (source app-requirements): The ports iptables \
             redirects a pod's own outbound and inbound traffic to"
        ),
        "{text}"
    );
    let (code, json, _) = portmatrix(&["catalog", "show", "istio", "--json"]);
    assert_eq!(code, 0);
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["not_flows"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        parsed["not_flows"][2]["rows"][0],
        "Server First Protocols | SMTP | 25"
    );
    let (_, text, _) = portmatrix(&["catalog", "show", "longhorn"]);
    assert!(!text.contains("Not flows"), "{text}");
    let (_, json, _) = portmatrix(&["catalog", "show", "longhorn", "--json"]);
    assert!(!json.contains("not_flows"), "{json}");
}
