//! `portmatrix catalog verify` on stored copies of the upstream documents the catalog cites
//! (provider/tests/data/upstream, origins in its README): zero drift for every covered version, and exactly the
//! changed rows for altered copies. The expected rows below are written from the documents.

// Test code: here a failed unwrap, expect, index or panic is a failing test. clippy.toml exempts #[test]
// functions only, not the helpers around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn upstream(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/upstream")
        .join(file)
}

/// Runs `catalog verify --json` and returns the exit code and the parsed report.
fn verify(platform: &str, version: &str, document: &Path) -> (i32, serde_json::Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_portmatrix"))
        .args([
            "catalog",
            "verify",
            platform,
            "--version",
            version,
            "--json",
        ])
        .arg("--document")
        .arg(document)
        .output()
        .expect("portmatrix runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code().unwrap_or(-1), report)
}

/// A copy of `file` with `from` replaced by `to` (exactly once), written where the test may write.
fn altered(file: &str, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(upstream(file)).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{from:?} once in {file}");
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "altered-{}-{}",
        to.len(),
        file.replace('/', "-")
    ));
    std::fs::write(&path, text.replace(from, to)).unwrap();
    path
}

/// Runs `catalog verify` of `platform` at `version` on the stored copy `file` and asserts that it exits 0 with no
/// drift, naming the release file `origin` and its source `source`; returns the report for further checks.
fn assert_no_drift(
    platform: &str,
    version: &str,
    file: &str,
    origin: &str,
    source: &str,
) -> serde_json::Value {
    let (code, report) = verify(platform, version, &upstream(file));
    let at = format!("{platform} {version}");
    assert_eq!(code, 0, "{at}: {report:#}");
    assert_eq!(report["origin"], origin, "{at}");
    assert_eq!(report["source"], source, "{at}");
    assert_eq!(report["drift"], false, "{at}: {report:#}");
    report
}

#[test]
fn every_stored_longhorn_page_matches_its_release() {
    for (version, file, origin) in [
        ("1.2.2", "longhorn/1.2.2-networking.md", "longhorn-1.2.toml"),
        ("1.3.0", "longhorn/1.3.0-networking.md", "longhorn-1.3.toml"),
        ("1.3.2", "longhorn/1.3.2-networking.md", "longhorn-1.3.toml"),
        ("1.4.0", "longhorn/1.4.0-networking.md", "longhorn-1.4.toml"),
        ("1.5.0", "longhorn/1.5.0-networking.md", "longhorn-1.5.toml"),
        (
            "1.13.0",
            "longhorn/1.13.0-networking.md",
            "longhorn-1.5.toml",
        ),
    ] {
        assert_no_drift("longhorn", version, file, origin, "networking");
    }
}

#[test]
fn a_changed_port_is_reported_as_that_row() {
    let copy = altered(
        "longhorn/1.13.0-networking.md",
        "`Admission Webhook Server` | 9502 | TCP",
        "`Admission Webhook Server` | 9512 | TCP",
    );
    let (code, report) = verify("longhorn", "1.13.0", &copy);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["drift"], true);
    assert_eq!(report["added"], serde_json::json!([]));
    assert_eq!(report["removed"], serde_json::json!([]));
    assert_eq!(
        report["changed"],
        serde_json::json!([{
            "cited": "Longhorn Manager Ingress | Admission Webhook Server | 9502 | TCP",
            "published": "Longhorn Manager Ingress | Admission Webhook Server | 9512 | TCP",
        }])
    );
}

#[test]
fn added_and_removed_rows_are_reported() {
    // A new sender in the Instance Manager ingress table, and the Share Manager row gone.
    let copy = altered(
        "longhorn/1.4.0-networking.md",
        "`Node in the cluster` | 2049  | TCP",
        "`Node in the cluster` | 2049  | TCP\n`Longhorn Manager` | 2050 | TCP",
    );
    let (code, report) = verify("longhorn", "1.4.0", &copy);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        report["added"],
        serde_json::json!(["Share Manager ingress | Longhorn Manager | 2050 | TCP"])
    );
    assert_eq!(report["removed"], serde_json::json!([]));
    let copy = altered(
        "longhorn/1.4.0-networking.md",
        "`Node in the cluster` | 2049  | TCP",
        "",
    );
    let (code, report) = verify("longhorn", "1.4.0", &copy);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["added"], serde_json::json!([]));
    assert_eq!(
        report["removed"],
        serde_json::json!(["Share Manager ingress | Node in the cluster | 2049 | TCP"])
    );
}

/// The 9443 section is on the v1.3.0 page only: against v1.3.2's flows it is a row the catalog does not cite.
#[test]
fn a_section_outside_the_version_is_drift() {
    let (code, report) = verify(
        "longhorn",
        "1.3.2",
        &upstream("longhorn/1.3.0-networking.md"),
    );
    assert_eq!(code, 1);
    assert_eq!(
        report["added"],
        serde_json::json!([
            "Conversion and Admission Webhook Server ingress | Webhook Server | 9443 | TCP"
        ])
    );
    assert_eq!(report["removed"], serde_json::json!([]));
    assert_eq!(report["changed"], serde_json::json!([]));
}

#[test]
fn bad_input_exits_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_portmatrix"))
        .args(["catalog", "verify", "longhorn", "--version", "1.5"])
        .args(["--document", "/nonexistent/networking.md"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--document /nonexistent/networking.md")
    );
    let output = Command::new(env!("CARGO_BIN_EXE_portmatrix"))
        .args([
            "catalog",
            "verify",
            "longhorn",
            "--version",
            "1.5",
            "--source",
            "nope",
        ])
        .arg("--document")
        .arg(upstream("longhorn/1.5.0-networking.md"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("has no source \"nope\"") && stderr.contains("networking"),
        "{stderr}"
    );
}

/// Deckhouse's tables are rendered from `deckhouse-ports.yml`; the stored copy is the blob of tags v1.63.0 to v1.66.0
/// (b79ea808), which `deckhouse-1.63.toml` covers.
#[test]
fn the_stored_deckhouse_ports_file_matches_every_release_it_covers() {
    for version in ["1.63.0", "1.64.0", "1.65.0", "1.66.0", "1.66.9"] {
        let file = "deckhouse/1.63-deckhouse-ports.yml";
        assert_no_drift(
            "deckhouse",
            version,
            file,
            "deckhouse-1.63.toml",
            "ports-table",
        );
    }
}

/// v1.67 changed the VXLAN row ("8469, 8472, 4299, 4298"), which deckhouse-1.67.toml cites from the v1.67 page:
/// against the v1.63-v1.66 file the old row is the one difference.
#[test]
fn the_deckhouse_1_67_release_differs_from_the_1_63_file_by_the_vxlan_row() {
    let (code, report) = verify(
        "deckhouse",
        "1.67.0",
        &upstream("deckhouse/1.63-deckhouse-ports.yml"),
    );
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["origin"], "deckhouse-1.67.toml");
    assert_eq!(
        report["added"],
        serde_json::json!(["Nodes to nodes traffic | 8469, 8472 | UDP | VXLAN for pod-to-pod traffic encapsulation"])
    );
    assert_eq!(report["removed"], serde_json::json!([]));
    assert_eq!(report["changed"], serde_json::json!([]));
}

/// The v1.74 file (deckhouse-ports.yml at 6e01cad3, whose release notes begin with v1.74) is the whole table
/// deckhouse-1.74.toml cites, with its block-scalar VXLAN descriptions; later versions use the same release.
#[test]
fn the_stored_deckhouse_1_74_file_matches_its_release() {
    for version in ["1.74.0", "1.74.5", "1.76.0"] {
        let file = "deckhouse/1.74-deckhouse-ports.yml";
        assert_no_drift(
            "deckhouse",
            version,
            file,
            "deckhouse-1.74.toml",
            "ports-table",
        );
    }
}

#[test]
fn changed_rows_of_the_1_74_file_are_reported_as_those_rows() {
    // A port moved: the cited row is gone and the new one is not cited.
    let copy = altered(
        "deckhouse/1.74-deckhouse-ports.yml",
        "- ports: \"4202\"",
        "- ports: \"4201\"",
    );
    let (code, report) = verify("deckhouse", "1.74.0", &copy);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        report["added"],
        serde_json::json!([
            "Traffic between nodes | 4201 | TCP | sds-node-configurator node agent metrics"
        ])
    );
    assert_eq!(
        report["removed"],
        serde_json::json!([
            "Traffic between nodes | 4202 | TCP | sds-node-configurator node agent metrics"
        ])
    );
    assert_eq!(report["changed"], serde_json::json!([]));

    // A changed word in a block-scalar description is one changed row.
    let copy = altered(
        "deckhouse/1.74-deckhouse-ports.yml",
        "in multiple nested virtualization",
        "in nested virtualization",
    );
    let (code, report) = verify("deckhouse", "1.74.0", &copy);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["added"], serde_json::json!([]));
    assert_eq!(report["removed"], serde_json::json!([]));
    let cited = "Traffic between nodes | 4295-4297 | UDP | Used by the cni-cilium module for VXLAN encapsulation of \
inter-pod traffic in multiple nested virtualization — when DKP with the virtualization module enabled is deployed \
inside virtual machines that are also created in DKP with the virtualization module enabled";
    assert_eq!(
        report["changed"],
        serde_json::json!([{
            "cited": cited,
            "published": cited.replace("in multiple nested", "in nested"),
        }])
    );
}

/// The v1.67 release carries the v1.63 rows forward; against the v1.74 file the whole renamed table is drift.
#[test]
fn the_1_74_file_is_drift_against_the_1_67_release() {
    let (code, report) = verify(
        "deckhouse",
        "1.67.0",
        &upstream("deckhouse/1.74-deckhouse-ports.yml"),
    );
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["origin"], "deckhouse-1.67.toml");
    let added: Vec<&str> = report["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    for row in [
        "Traffic between nodes | 4202 | TCP | sds-node-configurator node agent metrics",
        "Traffic between nodes | 4214 | TCP | API of the sds-replicated-volume module agent",
    ] {
        assert!(added.contains(&row), "{row}: {report:#}");
    }
    let removed: Vec<&str> = report["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        removed.contains(&"Nodes to nodes traffic | 3367 | TCP | API of the sds-replicated-volume module node agent"),
        "{report:#}"
    );
}

#[test]
fn a_changed_deckhouse_port_and_purpose_are_reported_as_those_rows() {
    // node-local-dns metrics moved from 4224 to 4228: the cited row is gone and the new one is not cited.
    let copy = altered(
        "deckhouse/1.63-deckhouse-ports.yml",
        "- ports: \"4224\"",
        "- ports: \"4228\"",
    );
    let (code, report) = verify("deckhouse", "1.64.0", &copy);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        report["added"],
        serde_json::json!(["Nodes to nodes traffic | 4228 | TCP | node-local-dns metrics"])
    );
    assert_eq!(
        report["removed"],
        serde_json::json!(["Nodes to nodes traffic | 4224 | TCP | node-local-dns metrics"])
    );
    assert_eq!(report["changed"], serde_json::json!([]));

    // The same port with another purpose is one changed row.
    let copy = altered(
        "deckhouse/1.63-deckhouse-ports.yml",
        "en: \"*kube-router* metrics\"",
        "en: \"*kube-router* metrics and health\"",
    );
    let (code, report) = verify("deckhouse", "1.64.0", &copy);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["added"], serde_json::json!([]));
    assert_eq!(report["removed"], serde_json::json!([]));
    assert_eq!(
        report["changed"],
        serde_json::json!([{
            "cited": "Nodes to nodes traffic | 4213 | TCP | kube-router metrics",
            "published": "Nodes to nodes traffic | 4213 | TCP | kube-router metrics and health",
        }])
    );
}

/// The v1.62.0 file (tag v1.62.0) matches deckhouse-1.62.toml; against the v1.63-v1.66 file that release differs by
/// exactly the five rows v1.63 changed.
#[test]
fn the_stored_deckhouse_1_62_file_matches_its_release_and_shows_what_1_63_changed() {
    for version in ["1.62.0", "1.62.9"] {
        let file = "deckhouse/1.62-deckhouse-ports.yml";
        assert_no_drift(
            "deckhouse",
            version,
            file,
            "deckhouse-1.62.toml",
            "ports-table",
        );
    }
    let (code, report) = verify(
        "deckhouse",
        "1.62.0",
        &upstream("deckhouse/1.63-deckhouse-ports.yml"),
    );
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        report["added"],
        serde_json::json!([
            "Master to nodes traffic | 4227 | TCP | runtime-audit-engine webhook handler",
            "Nodes to masters traffic | 4234 | UDP | NTP for time synchronization between nodes",
            "Nodes to nodes traffic | 4218, 4225 | TCP | metallb and l2-load-balancer speakers memberlist ports",
            "Nodes to nodes traffic | 4218, 4225 | UDP | metallb and l2-load-balancer speakers memberlist ports",
            "Nodes to nodes traffic | 4220, 4226 | TCP | metallb and l2-load-balancer speakers metrics",
        ])
    );
    assert_eq!(
        report["removed"],
        serde_json::json!([
            "Master to nodes traffic | 9680 | TCP | runtime-audit-engine webhook",
            "Nodes to nodes traffic | 123 | UDP | NTP for time synchronization between nodes",
            "Nodes to nodes traffic | 4218 | TCP | metallb and l2-load-balancer speakers memberlist ports",
            "Nodes to nodes traffic | 4218 | UDP | metallb and l2-load-balancer speakers memberlist ports",
            "Nodes to nodes traffic | 4220 | TCP | metallb and l2-load-balancer speakers metrics",
        ])
    );
    assert_eq!(report["changed"], serde_json::json!([]));
}

/// The v1.60.0 and v1.61.0 files match deckhouse-1.60.toml; v1.61's two new rows are drift against a v1.60 release.
#[test]
fn the_stored_deckhouse_1_60_and_1_61_files_match_their_release() {
    for (version, file) in [
        ("1.60.0", "deckhouse/1.60-deckhouse-ports.yml"),
        ("1.61.0", "deckhouse/1.61-deckhouse-ports.yml"),
        ("1.61.5", "deckhouse/1.61-deckhouse-ports.yml"),
    ] {
        assert_no_drift(
            "deckhouse",
            version,
            file,
            "deckhouse-1.60.toml",
            "ports-table",
        );
    }
    let (code, report) = verify(
        "deckhouse",
        "1.60.3",
        &upstream("deckhouse/1.61-deckhouse-ports.yml"),
    );
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        report["added"],
        serde_json::json!([
            "Nodes to masters traffic | 5443 | TCP | Proxy for registry packages registry-packages-proxy",
            "Nodes to nodes traffic | 9695 | TCP | sds-node-configurator node agent metrics",
        ])
    );
    assert_eq!(report["removed"], serde_json::json!([]));
    assert_eq!(report["changed"], serde_json::json!([]));
}

/// The unversioned requirements pages of Kubernetes, K3s and RKE2: their releases cover every version (`*`), so the
/// version given only has to be one the release covers.
#[test]
fn the_stored_kubernetes_k3s_and_rke2_pages_match_their_releases() {
    for (platform, file, source) in [
        (
            "kubernetes",
            "kubernetes/ports-and-protocols.md",
            "ports-and-protocols",
        ),
        ("k3s", "k3s/requirements.md", "requirements"),
        ("rke2", "rke2/requirements.md", "requirements"),
    ] {
        let origin = format!("{platform}.toml");
        assert_no_drift(platform, "1.34.0", file, &origin, source);
    }
}

/// Asserts that `report` is drift of exactly one changed row.
fn assert_one_changed_row(report: &serde_json::Value, cited: &str, published: &str) {
    assert_eq!(report["drift"], true, "{report:#}");
    assert_eq!(report["added"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["removed"], serde_json::json!([]), "{report:#}");
    assert_eq!(
        report["changed"],
        serde_json::json!([{ "cited": cited, "published": published }])
    );
}

#[test]
fn a_changed_kubernetes_port_is_reported_as_that_row() {
    // The heading is "## Worker node(s) {#node}": the anchor id is not part of the row.
    let copy = altered(
        "kubernetes/ports-and-protocols.md",
        "| 10256       | kube-proxy ",
        "| 10255       | kube-proxy ",
    );
    let (code, report) = verify("kubernetes", "1.34.0", &copy);
    assert_eq!(code, 1, "{report:#}");
    assert_one_changed_row(
        &report,
        "Worker node(s) | TCP | Inbound | 10256 | kube-proxy | Self, Load balancers",
        "Worker node(s) | TCP | Inbound | 10255 | kube-proxy | Self, Load balancers",
    );
}

#[test]
fn a_changed_k3s_port_is_reported_as_that_row() {
    let copy = altered(
        "k3s/requirements.md",
        "| UDP      | 8472      |",
        "| UDP      | 4789      |",
    );
    let (code, report) = verify("k3s", "1.34.0", &copy);
    assert_eq!(code, 1, "{report:#}");
    assert_one_changed_row(
        &report,
        "Networking Inbound Rules for K3s Nodes | UDP | 8472 | All nodes | All nodes | Required only for Flannel VXLAN",
        "Networking Inbound Rules for K3s Nodes | UDP | 4789 | All nodes | All nodes | Required only for Flannel VXLAN",
    );
}

/// RKE2's tables start with the port: a row keeps its identity while another cell changes, and a changed port is
/// a row gone and a row new. The CNI tables sit in tabs, which name them.
#[test]
fn changed_rke2_rows_are_reported_as_those_rows() {
    let copy = altered(
        "rke2/requirements.md",
        "| 9099        | TCP      | All RKE2 nodes    | All RKE2 nodes    | Canal",
        "| 9099        | UDP      | All RKE2 nodes    | All RKE2 nodes    | Canal",
    );
    let (code, report) = verify("rke2", "1.34.0", &copy);
    assert_eq!(code, 1, "{report:#}");
    let row = "Inbound Network Rules CNI Specific Inbound Network Rules (Canal) | 9099 | TCP | All RKE2 nodes | \
All RKE2 nodes | Canal CNI health checks";
    assert_one_changed_row(&report, row, &row.replace("TCP", "UDP"));

    let copy = altered(
        "rke2/requirements.md",
        "| 9345        | TCP ",
        "| 9346        | TCP ",
    );
    let (code, report) = verify("rke2", "1.34.0", &copy);
    assert_eq!(code, 1, "{report:#}");
    let row = "Networking Inbound Network Rules | 9345 | TCP | All RKE2 nodes | RKE2 server nodes | RKE2 supervisor API";
    assert_eq!(
        report["added"],
        serde_json::json!([row.replace("9345", "9346")])
    );
    assert_eq!(report["removed"], serde_json::json!([row]));
    assert_eq!(report["changed"], serde_json::json!([]));
}

/// Istio's Application Requirements page (istio/istio.io @110ebf69, the revision istio.toml cites as
/// `app-requirements`): every row of its three tables is cited, by a flow, a loopback entry or a `[[not_flows]]` row
/// (15001 and 15006, where iptables redirects a pod's own traffic; istiod's deprecated 8080; the server-first
/// protocols). The page is unversioned in the store, so every version the release covers reads the same copy.
#[test]
fn the_stored_istio_page_matches_its_release() {
    for version in ["1.8.0", "1.24.3", "1.30.0"] {
        let file = "istio/application-requirements.md";
        assert_no_drift("istio", version, file, "istio.toml", "app-requirements");
    }
}

#[test]
fn changed_istio_rows_are_reported_as_those_rows() {
    // The HBONE row with the earlier revision's protocol (@5e234370 writes "H2"): the same port, another cell.
    let copy = altered(
        "istio/application-requirements.md",
        "| 15008 | HTTP2 |",
        "| 15008 | H2 |",
    );
    let (code, report) = verify("istio", "1.30.0", &copy);
    assert_eq!(code, 1, "{report:#}");
    let row = "Ports used by Istio | 15008 | HTTP2 | {{< gloss >}}HBONE{{</ gloss >}} mTLS tunnel port | No";
    assert_one_changed_row(&report, row, &row.replace("HTTP2", "H2"));

    // istiod's secure XDS port moved: the cited row is gone and the new one is not cited.
    let copy = altered(
        "istio/application-requirements.md",
        "| 15012 | GRPC |",
        "| 15013 | GRPC |",
    );
    let (code, report) = verify("istio", "1.30.0", &copy);
    assert_eq!(code, 1, "{report:#}");
    let row = "Ports used by Istio | 15012 | GRPC | XDS and CA services (TLS and mTLS, recommended for production use) | No";
    assert_eq!(
        report["added"],
        serde_json::json!([row.replace("15012", "15013")])
    );
    assert_eq!(report["removed"], serde_json::json!([row]));
    assert_eq!(report["changed"], serde_json::json!([]));
}

const KUBLR: &str = "kublr/network-access.tables-1-3.md";

/// The rows `kublr.toml` cites from Tables 4 and 5, which the stored copy does not hold (in the catalog's order,
/// a row cited by two flows once).
const KUBLR_NOT_CHECKED: [&str; 9] = [
    "Table 4. Other | 53 | TCP/UDP | Node | Internet | non-air-gap deployment | DNS",
    "Table 4. Other | 443 | TCP | Node | Internet | non-air-gap deployment | HTTPS to binary repositories",
    "Table 4. Other | 53 | TCP/UDP | Node | Intranet | air-gap deployment | Intra-organizational DNS",
    "Table 4. Other | 443 | TCP | Node | Intranet | air-gap deployment | Intra-organizational binary repository(ies)",
    "Table 4. Other | 443 | TCP | Master LB | Master | master LB | If master LB is used, the master LB must have access to masters",
    "Table 4. Other | 30000-32767 | TCP/UDP | Ingress LB | Workers | ingress LB | If ingress LB is used, the ingress LB must have access to worker nodes service NodePort port range (usually 30000-32767) or a specific port configured for the ingress controller",
    "Table 5. Kublr Control Plane | 443 | TCP | KCP Nodes | Managed Clusters’ K8S API | KCP need access to K8S clusters’ API",
    "Table 5. Kublr Control Plane | 443 | TCP | KCP Nodes | Cloud/infra API | KCP need access to cloud/infrastructure providers’ API",
    "Table 5. Kublr Control Plane | 11250 | TCP | KCP Nodes | Managed Clusters’ Masters | Bring-your-own-infrastructure | KCP needs access to bare-metal clusters’ masters’ secret store",
];

/// Kublr's copy holds Tables 1-3 only: their rows match the release, and the rows cited from Tables 4 and 5 are
/// listed as not checked, which is not drift (exit 0).
#[test]
fn the_stored_kublr_tables_match_their_release_and_the_others_are_not_checked() {
    let report = assert_no_drift("kublr", "1.0.0", KUBLR, "kublr.toml", "network-access");
    assert_eq!(report["added"], serde_json::json!([]));
    assert_eq!(report["removed"], serde_json::json!([]));
    assert_eq!(report["changed"], serde_json::json!([]));
    assert_eq!(report["not_checked"], serde_json::json!(KUBLR_NOT_CHECKED));
}

#[test]
fn the_kublr_text_report_names_the_rows_not_checked() {
    let output = Command::new(env!("CARGO_BIN_EXE_portmatrix"))
        .args(["catalog", "verify", "kublr", "--version", "1.0.0"])
        .arg("--document")
        .arg(upstream(KUBLR))
        .output()
        .expect("portmatrix runs");
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = text.lines().skip(1).collect();
    let mut expected = vec![
        "no drift in the tables the document holds: each of their rows is cited, and each row cited from them is in it"
            .to_owned(),
    ];
    expected
        .extend(KUBLR_NOT_CHECKED.map(|row| format!("not checked (table not in the copy): {row}")));
    assert_eq!(lines, expected);
}

/// A row is matched by its table and port (its first two cells): another protocol is that row changed, another
/// port is a row removed and one added.
#[test]
fn altered_kublr_table_1_rows_are_reported_as_those_rows() {
    let copy = altered(
        KUBLR,
        "179 | TCP | Calico | Calico BGP |",
        "179 | UDP | Calico | Calico BGP |",
    );
    let (code, report) = verify("kublr", "1.0.0", &copy);
    assert_eq!(code, 1, "{report:#}");
    assert_one_changed_row(
        &report,
        "Table 1. Node to Node (masters and workers) | 179 | TCP | Calico | Calico BGP",
        "Table 1. Node to Node (masters and workers) | 179 | UDP | Calico | Calico BGP",
    );
    assert_eq!(report["not_checked"], serde_json::json!(KUBLR_NOT_CHECKED));
    let copy = altered(
        KUBLR,
        "6784 | UDP | Weave | Weave |",
        "6785 | UDP | Weave | Weave |",
    );
    let (code, report) = verify("kublr", "1.0.0", &copy);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        report["added"],
        serde_json::json!([
            "Table 1. Node to Node (masters and workers) | 6785 | UDP | Weave | Weave"
        ])
    );
    assert_eq!(
        report["removed"],
        serde_json::json!([
            "Table 1. Node to Node (masters and workers) | 6784 | UDP | Weave | Weave"
        ])
    );
    assert_eq!(report["changed"], serde_json::json!([]));
}

/// A row gone from Table 3 is drift, as in a whole document: only tables absent from the copy are not checked.
#[test]
fn a_kublr_row_gone_from_a_held_table_is_drift() {
    let copy = altered(KUBLR, "2380 | TCP | Etcd |\n", "");
    let (code, report) = verify("kublr", "1.0.0", &copy);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["added"], serde_json::json!([]));
    assert_eq!(
        report["removed"],
        serde_json::json!(["Table 3. Master to Masters | 2380 | TCP | Etcd"])
    );
}

const CILIUM: &str = "cilium/system_requirements.rst";

/// Cilium's system requirements page is reStructuredText: its three firewall tables (the AWS example's master and
/// worker security groups, and the ports available on each node) match the release, for the oldest and a newer
/// version it covers.
#[test]
fn the_stored_cilium_page_matches_its_release() {
    for version in ["1.12.0", "1.18.0"] {
        let report = assert_no_drift("cilium", version, CILIUM, "cilium.toml", "firewall");
        assert!(report.get("not_checked").is_none(), "{report:#}");
    }
}

/// A row is matched by its table and its port/protocol cell: another description is that row changed, another
/// port a row removed and one added.
#[test]
fn altered_cilium_rows_are_reported_as_those_rows() {
    let copy = altered(
        CILIUM,
        "4245/tcp                 Hubble Relay\n",
        "4245/tcp                 Hubble Relay API\n",
    );
    let (code, report) = verify("cilium", "1.18.0", &copy);
    assert_eq!(code, 1, "{report:#}");
    assert_one_changed_row(
        &report,
        "The following ports should also be available on each node: | 4245/tcp | Hubble Relay",
        "The following ports should also be available on each node: | 4245/tcp | Hubble Relay API",
    );
    let copy = altered(
        CILIUM,
        "2379-2380/tcp            egress          ``master-sg``        etcd access",
        "2379-2381/tcp            egress          ``master-sg``        etcd access",
    );
    let (code, report) = verify("cilium", "1.18.0", &copy);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        report["added"],
        serde_json::json!([
            "Worker Nodes (``worker-sg``): | 2379-2381/tcp | egress | ``master-sg`` | etcd access"
        ])
    );
    assert_eq!(
        report["removed"],
        serde_json::json!([
            "Worker Nodes (worker-sg): | 2379-2380/tcp | egress | master-sg | etcd access"
        ])
    );
    assert_eq!(report["changed"], serde_json::json!([]));
}
