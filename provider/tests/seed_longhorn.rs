//! Row-by-row checks of the built-in Longhorn catalogs against Longhorn's networking page: seed 000 (the v1.2.x
//! page), seed 001 (the v1.3.2-v1.3.4 page), the v1.3.0/v1.4.x sections (webhook 9443, NFS recovery backend
//! 9600), the v1.13.0 table of reference ports.md §1.3 (identical from v1.5.0), the v1.13.0 Global Manager section
//! (longhorn/website PR #1442), the one port seed 003 (architecture post) states, and the
//! webhook callers named by the v1.3.0 page's draft (43c5b0d6) and the Helm chart (longhorn/longhorn bb2f2223).
//! Expected rows are written from those documents, one entry per port of each row, not from the program.

// Test code: here a failed unwrap, expect, index or panic is a failing test. clippy.toml exempts #[test]
// functions only, not the helpers around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod corpus;

use std::collections::{BTreeMap, BTreeSet};

use portmatrix::catalog::{
    flow_lines, parse_version, Catalog, Network, Release, Selected, Selection, Tier,
};

/// A documented port: (from role, to role, protocol, port).
type Row = (&'static str, &'static str, &'static str, &'static str);

const LM: &str = "longhorn-manager";
const UI: &str = "longhorn-ui";
const IM: &str = "instance-manager";
const CSI: &str = "longhorn-csi-plugin";
const DEPLOYER: &str = "longhorn-driver-deployer";
const BIM: &str = "backing-image-manager";
const BIDS: &str = "backing-image-data-source";
const JOB: &str = "recurring-job";
const API: &str = "kubernetes-api-server";
const API_PORT: &str = "${apiserver_port}";
const STORE: &str = "backupstore";
const STORE_PORT: &str = "${backupstore_port}";
const IMG: &str = "image-download-server";
const IMG_PORT: &str = "${image_download_port}";

/// Seed 000 (v1.2.2-v1.2.6 page) as its rendering shows it. Where the rendering lost a cell, the row is completed
/// from the upstream page and marked.
const SEED_000: &[Row] = &[
    // Longhorn Manager egress
    (LM, LM, "tcp", "9500"),
    (LM, IM, "tcp", "8500"), // "8500; 10000-30000"
    (LM, IM, "tcp", "10000-30000"),
    (LM, BIM, "tcp", "8000"), // "8000; 8001"
    (LM, BIM, "tcp", "8001"),
    (LM, STORE, "tcp", STORE_PORT), // "User defined"
    (LM, API, "tcp", API_PORT),     // "Kubernetes API server port"
    // UI egress (ingress: "Users defined", no protocol or port: no row)
    (UI, LM, "tcp", "9500"),
    // Instance Manager ingress
    (LM, IM, "tcp", "8500"),
    (LM, IM, "tcp", "10000-30000"),
    (IM, IM, "tcp", "10000-30000"),
    ("node", IM, "tcp", "3260"), // seed lost the sender cell ("3260 | TCP"); upstream: Node in the Cluster
    (BIM, IM, "tcp", "10000-30000"),
    // Instance Manager egress
    (IM, IM, "tcp", "10000-30000"),
    (IM, BIM, "tcp", "8002"),
    (IM, STORE, "tcp", STORE_PORT),
    // CSI sidecar (csi-attacher, csi-provisioner, csi-resizer, csi-snapshotter) egress
    ("csi-attacher", API, "tcp", API_PORT),
    ("csi-provisioner", API, "tcp", API_PORT),
    ("csi-resizer", API, "tcp", API_PORT),
    ("csi-snapshotter", API, "tcp", API_PORT),
    // Driver deployer egress
    (DEPLOYER, LM, "tcp", "9500"), // seed lost the receiver cell ("9500 | TCP"); upstream: Longhorn Manager
    (DEPLOYER, API, "tcp", API_PORT),
    // Backing Image Manager ingress and egress
    (LM, BIM, "tcp", "8000"),
    (BIM, BIM, "tcp", "30001-31000"),
    (BIM, IM, "tcp", "10000-30000"),
    // Backing Image Data Source egress
    (BIDS, IM, "tcp", "10000-30000"),
    (BIDS, IMG, "tcp", IMG_PORT), // "user defined"
    // Share Manager ingress
    ("node", "share-manager", "tcp", "2049"),
    // Backup/Snapshot Recurring Job Pod egress
    (JOB, LM, "tcp", "9500"),
    // Uninstaller egress: seed lost the heading and the port cell ("Kubernetes API server | TCP |")
    ("uninstaller", API, "tcp", API_PORT),
];

/// Rows of the v1.2.2 page that seed 000's rendering dropped entirely (reference ports.md §1.3, v1.2.2 table).
const LOST_IN_SEED_000: &[Row] = &[
    // Longhorn Manager ingress (the seed shows "Ingress:" with no table)
    (LM, LM, "tcp", "9500"),
    (UI, LM, "tcp", "9500"),
    (CSI, LM, "tcp", "9500"),
    (JOB, LM, "tcp", "9500"),
    (DEPLOYER, LM, "tcp", "9500"),
    // Longhorn CSI plugin egress
    (CSI, LM, "tcp", "9500"),
    // Backing Image Data Source ingress
    (LM, BIDS, "tcp", "8001"),
    (IM, BIDS, "tcp", "8002"),
];

/// Seed 001: the v1.3.2-v1.3.4 page, complete (its rendering dropped headings, not rows).
const SEED_001: &[Row] = &[
    // Longhorn Manager ingress
    (LM, LM, "tcp", "9500"),
    (UI, LM, "tcp", "9500"),
    (CSI, LM, "tcp", "9500"),
    (JOB, LM, "tcp", "9500"),
    (DEPLOYER, LM, "tcp", "9500"),
    // Longhorn Manager egress
    (LM, LM, "tcp", "9500"),
    (LM, IM, "tcp", "8500"), // "8500; 8501"
    (LM, IM, "tcp", "8501"),
    (LM, BIM, "tcp", "8000"),
    (LM, BIDS, "tcp", "8000"),
    (LM, STORE, "tcp", STORE_PORT),
    (LM, API, "tcp", API_PORT),
    // UI egress
    (UI, LM, "tcp", "9500"),
    // Instance Manager ingress
    (LM, IM, "tcp", "8500"),
    (LM, IM, "tcp", "8501"),
    (IM, IM, "tcp", "10000-30000"),
    ("node", IM, "tcp", "3260"),
    (BIDS, IM, "tcp", "10000-30000"),
    // Instance Manager egress
    (IM, IM, "tcp", "10000-30000"),
    (IM, BIDS, "tcp", "8002"),
    (IM, STORE, "tcp", STORE_PORT),
    // Longhorn CSI plugin egress
    (CSI, LM, "tcp", "9500"),
    // CSI sidecar egress
    ("csi-attacher", API, "tcp", API_PORT),
    ("csi-provisioner", API, "tcp", API_PORT),
    ("csi-resizer", API, "tcp", API_PORT),
    ("csi-snapshotter", API, "tcp", API_PORT),
    // Driver deployer egress
    (DEPLOYER, LM, "tcp", "9500"),
    (DEPLOYER, API, "tcp", API_PORT),
    // Backing Image Manager ingress and egress
    (LM, BIM, "tcp", "8000"),
    (BIM, BIM, "tcp", "30001-31000"),
    (BIM, IM, "tcp", "10000-30000"),
    (BIM, BIDS, "tcp", "8000"),
    // Backing Image Data Source ingress and egress
    (LM, BIDS, "tcp", "8000"),
    (IM, BIDS, "tcp", "8002"),
    (BIM, BIDS, "tcp", "8000"),
    (BIDS, IM, "tcp", "10000-30000"),
    (BIDS, IMG, "tcp", IMG_PORT),
    // Share Manager ingress
    ("node", "share-manager", "tcp", "2049"),
    // Backup/Snapshot Recurring Job Pod egress
    (JOB, LM, "tcp", "9500"),
    // Uninstaller egress
    ("uninstaller", API, "tcp", API_PORT),
];

/// "Conversion and Admission Webhook Server" ingress "Webhook Server | 9443 | TCP" (v1.3.0, v1.3.1, v1.4.x).
const WEBHOOK_9443: &[Row] = &[("webhook-server", "webhook-server", "tcp", "9443")];

/// The caller of that webhook, from the draft of the v1.3.0 page (longhorn/website 43c5b0d6, section "Longhorn
/// Webhook"): "Kubernetes API server | 9443 | TCP".
const WEBHOOK_9443_CALLER: &[Row] = &[(API, "webhook-server", "tcp", "9443")];

/// "NFS Recovery Backend Server" ingress "Recovery Backend Server | 9600 | TCP" (v1.4.x).
const RECOVERY_9600: &[Row] = &[("recovery-backend", "recovery-backend", "tcp", "9600")];

/// Reference ports.md §1.3, the v1.13.0 table (identical from v1.5.0), one entry per port.
const PORTS_MD_1_13: &[Row] = &[
    // Longhorn Manager / Ingress
    (LM, LM, "tcp", "9500"),
    (UI, LM, "tcp", "9500"),
    (CSI, LM, "tcp", "9500"),
    (JOB, LM, "tcp", "9500"),
    (DEPLOYER, LM, "tcp", "9500"),
    // From "Conversion Webhook Server", "Admission Webhook Server", "Recovery Backend Server": served by
    // longhorn-manager pods since v1.5.0, so the catalog maps these senders to longhorn-manager.
    (LM, LM, "tcp", "9501"),
    (LM, LM, "tcp", "9502"),
    (LM, LM, "tcp", "9503"),
    // Longhorn Manager / Egress
    (LM, LM, "tcp", "9500"),
    (LM, IM, "tcp", "8500"),
    (LM, IM, "tcp", "8501"),
    (LM, IM, "tcp", "8502"),
    (LM, IM, "tcp", "8503"),
    (LM, IM, "tcp", "8504"),
    (LM, BIM, "tcp", "8000"),
    (LM, BIDS, "tcp", "8000"),
    (LM, STORE, "tcp", STORE_PORT),
    (LM, API, "tcp", API_PORT),
    // UI / Egress (UI / Ingress "Users defined": no protocol or port, no row)
    (UI, LM, "tcp", "9500"),
    // Instance Manager / Ingress
    (LM, IM, "tcp", "8500"),
    (LM, IM, "tcp", "8501"),
    (LM, IM, "tcp", "8502"),
    (LM, IM, "tcp", "8503"),
    (LM, IM, "tcp", "8504"),
    (IM, IM, "tcp", "10000-30000"),
    ("node", IM, "tcp", "3260"),
    (BIDS, IM, "tcp", "10000-30000"),
    // Instance Manager / Egress
    (IM, IM, "tcp", "10000-30000"),
    (IM, BIDS, "tcp", "8002"),
    (IM, STORE, "tcp", STORE_PORT),
    // Longhorn CSI plugin / Egress
    (CSI, LM, "tcp", "9500"),
    // CSI sidecar / Egress
    ("csi-attacher", API, "tcp", API_PORT),
    ("csi-provisioner", API, "tcp", API_PORT),
    ("csi-resizer", API, "tcp", API_PORT),
    ("csi-snapshotter", API, "tcp", API_PORT),
    // Driver deployer / Egress
    (DEPLOYER, LM, "tcp", "9500"),
    (DEPLOYER, API, "tcp", API_PORT),
    // Backing Image Manager / Ingress and Egress
    (LM, BIM, "tcp", "8000"),
    (BIM, BIM, "tcp", "30001-31000"),
    (BIM, IM, "tcp", "10000-30000"),
    (BIM, BIM, "tcp", "30001-31000"),
    (BIM, BIDS, "tcp", "8000"),
    // Backing Image Data Source / Ingress and Egress
    (LM, BIDS, "tcp", "8000"),
    (IM, BIDS, "tcp", "8002"),
    (BIM, BIDS, "tcp", "8000"),
    (BIDS, IM, "tcp", "10000-30000"),
    (BIDS, IMG, "tcp", IMG_PORT),
    // Share Manager / Ingress
    ("node", "share-manager", "tcp", "2049"),
    // Backup/Snapshot Recurring Job Pod / Egress
    (JOB, LM, "tcp", "9500"),
    // Uninstaller / Egress
    ("uninstaller", API, "tcp", API_PORT),
];

/// The v1.13.0 page's "Longhorn Global Manager" section (longhorn/website 2f7047bf, PR #1442): ingress
/// "Kubelet (health probes) | 9505 | TCP" (the kubelet sends from the node's host network), egress
/// "Kubernetes API server | Kubernetes API server port | TCP".
const GLOBAL_MANAGER_1_13: &[Row] = &[
    ("node", "longhorn-global-manager", "tcp", "9505"),
    ("longhorn-global-manager", API, "tcp", API_PORT),
];

/// The webhooks' caller the Longhorn chart names (longhorn/longhorn bb2f2223): values.yaml "Kubernetes API server
/// source CIDRs allowed to access the Longhorn admission webhook", for the webhook policy's TCP 9501 and 9502.
const CHART_CALLERS_1_5: &[Row] = &[(API, LM, "tcp", "9501"), (API, LM, "tcp", "9502")];

/// Seed 003 (architecture post, Longhorn v1.10.1): "CSI->>LM: HTTP API call to longhorn-backend:9500".
const SEED_003: &[Row] = &[(CSI, LM, "tcp", "9500")];

fn select(version: Option<&str>) -> Selected<'static> {
    let selection = Selection {
        platform: "longhorn".to_owned(),
        version: version.map(str::to_owned),
        options: BTreeMap::new(),
    };
    match Catalog::builtin().select(&selection) {
        Ok(selected) => selected,
        Err(e) => panic!("longhorn {version:?}: {e}"),
    }
}

fn line(r: &Row) -> String {
    format!("{} -> {} {} {}", r.0, r.1, r.2, r.3)
}

fn expected(tables: &[&[Row]]) -> BTreeSet<String> {
    tables.iter().flat_map(|t| t.iter()).map(line).collect()
}

/// Lines of the selected flows; fails on a line produced twice (two flows claiming the same port).
fn actual(selected: &Selected<'_>) -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    for flow in &selected.flows {
        for l in flow_lines(flow) {
            assert!(lines.insert(l.clone()), "{l} is produced twice");
        }
    }
    lines
}

/// Every documented row is a flow of the selected release (nothing missing).
fn assert_documented(version: Option<&str>, tables: &[&[Row]], origin: &str) {
    let selected = select(version);
    assert_eq!(selected.release.origin, origin, "{version:?}");
    let got = actual(&selected);
    let missing: Vec<_> = expected(tables)
        .into_iter()
        .filter(|l| !got.contains(l))
        .collect();
    assert!(
        missing.is_empty(),
        "{version:?}: documented rows missing: {missing:?}"
    );
}

/// The selected release has exactly the documented rows (nothing missing, nothing invented).
fn assert_exact(version: Option<&str>, tables: &[&[Row]], origin: &str) {
    assert_documented(version, tables, origin);
    let want = expected(tables);
    let extra: Vec<_> = actual(&select(version))
        .into_iter()
        .filter(|l| !want.contains(l))
        .collect();
    assert!(
        extra.is_empty(),
        "{version:?}: undocumented flows: {extra:?}"
    );
}

fn releases() -> &'static [Release] {
    &Catalog::builtin()
        .platform("longhorn")
        .expect("longhorn is built in")
        .releases
}

#[test]
fn builtin_longhorn_documents_are_valid() {
    let errors: Vec<String> = Catalog::builtin_errors()
        .iter()
        .map(ToString::to_string)
        .filter(|e| e.starts_with("longhorn-"))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let origins: Vec<&str> = releases().iter().map(|r| r.origin.as_str()).collect();
    assert_eq!(
        origins,
        [
            "longhorn-1.2.toml",
            "longhorn-1.3.toml",
            "longhorn-1.4.toml",
            "longhorn-1.5.toml"
        ]
    );
}

#[test]
fn seed_000_rows_are_the_1_2_release() {
    for version in ["1.2.0", "1.2.1", "1.2.2", "v1.2.6"] {
        assert_documented(Some(version), &[SEED_000], "longhorn-1.2.toml");
        assert_exact(
            Some(version),
            &[SEED_000, LOST_IN_SEED_000],
            "longhorn-1.2.toml",
        );
    }
}

#[test]
fn seed_001_rows_are_the_1_3_2_to_1_3_4_release() {
    for version in ["1.3.2", "1.3.3", "1.3.4"] {
        assert_exact(Some(version), &[SEED_001], "longhorn-1.3.toml");
    }
}

#[test]
fn webhook_9443_only_on_the_1_3_0_1_3_1_and_1_4_pages() {
    for version in ["1.3.0", "1.3.1"] {
        assert_exact(
            Some(version),
            &[SEED_001, WEBHOOK_9443, WEBHOOK_9443_CALLER],
            "longhorn-1.3.toml",
        );
    }
    for version in ["1.4.0", "1.4.4"] {
        assert_exact(
            Some(version),
            &[SEED_001, WEBHOOK_9443, WEBHOOK_9443_CALLER, RECOVERY_9600],
            "longhorn-1.4.toml",
        );
    }
}

#[test]
fn ports_md_1_13_table_is_the_1_5_release() {
    for version in ["1.5.0", "1.5.1", "1.8.2", "1.12.2"] {
        assert_exact(
            Some(version),
            &[PORTS_MD_1_13, CHART_CALLERS_1_5],
            "longhorn-1.5.toml",
        );
    }
    for version in [Some("1.13.0"), Some("1.14"), None] {
        assert_exact(
            version,
            &[PORTS_MD_1_13, CHART_CALLERS_1_5, GLOBAL_MANAGER_1_13],
            "longhorn-1.5.toml",
        );
    }
}

#[test]
fn seed_003_port_holds_in_every_release() {
    for version in ["1.2.2", "1.3.0", "1.4.0", "1.10.1", "1.13.0"] {
        let lines = actual(&select(Some(version)));
        for row in SEED_003 {
            assert!(lines.contains(&line(row)), "{version}: {}", line(row));
        }
    }
}

#[test]
fn ui_ingress_has_no_flow() {
    for release in releases() {
        assert!(
            release.endpoints.iter().any(|e| e.name == "ui-users"),
            "{}",
            release.origin
        );
        assert!(
            release
                .flows
                .iter()
                .all(|f| f.from != "ui-users" && f.to != UI),
            "{}: invented UI ingress",
            release.origin
        );
        assert!(
            release
                .disagreements
                .iter()
                .any(|d| d.topic.contains("UI ingress")),
            "{}: UI ingress not explained",
            release.origin
        );
    }
}

#[test]
fn diff_1_4_to_1_5() {
    let old = actual(&select(Some("1.4.4")));
    let new = actual(&select(Some("1.5.0")));
    let removed: BTreeSet<&str> = old.difference(&new).map(String::as_str).collect();
    let added: BTreeSet<&str> = new.difference(&old).map(String::as_str).collect();
    assert_eq!(
        removed,
        BTreeSet::from([
            "kubernetes-api-server -> webhook-server tcp 9443",
            "recovery-backend -> recovery-backend tcp 9600",
            "webhook-server -> webhook-server tcp 9443"
        ])
    );
    assert_eq!(
        added,
        BTreeSet::from([
            "kubernetes-api-server -> longhorn-manager tcp 9501",
            "kubernetes-api-server -> longhorn-manager tcp 9502",
            "longhorn-manager -> instance-manager tcp 8502",
            "longhorn-manager -> instance-manager tcp 8503",
            "longhorn-manager -> instance-manager tcp 8504",
            "longhorn-manager -> longhorn-manager tcp 9501",
            "longhorn-manager -> longhorn-manager tcp 9502",
            "longhorn-manager -> longhorn-manager tcp 9503",
        ])
    );
}

#[test]
fn diff_1_2_to_1_3() {
    let old = actual(&select(Some("1.2.6")));
    let new = actual(&select(Some("1.3.2")));
    let removed: BTreeSet<&str> = old.difference(&new).map(String::as_str).collect();
    let added: BTreeSet<&str> = new.difference(&old).map(String::as_str).collect();
    assert_eq!(
        removed,
        BTreeSet::from([
            "instance-manager -> backing-image-manager tcp 8002",
            "longhorn-manager -> backing-image-data-source tcp 8001",
            "longhorn-manager -> backing-image-manager tcp 8001",
            "longhorn-manager -> instance-manager tcp 10000-30000",
        ])
    );
    assert_eq!(
        added,
        BTreeSet::from([
            "backing-image-manager -> backing-image-data-source tcp 8000",
            "longhorn-manager -> backing-image-data-source tcp 8000",
            "longhorn-manager -> instance-manager tcp 8501",
        ])
    );
}

#[test]
fn version_ranges_chain_without_gaps() {
    let all = releases();
    assert_eq!(
        all[0].platform.versions.lower(),
        &semver::Version::new(1, 2, 0)
    );
    for pair in all.windows(2) {
        assert_eq!(
            pair[0].platform.versions.upper(),
            Some(pair[1].platform.versions.lower()),
            "{} -> {}",
            pair[0].origin,
            pair[1].origin
        );
    }
    assert_eq!(
        all[all.len() - 1].platform.versions.upper(),
        None,
        "the newest release is open upwards"
    );
    for (version, origin) in [
        ("1.2.0", "longhorn-1.2.toml"),
        ("1.2.99", "longhorn-1.2.toml"),
        ("1.3.0", "longhorn-1.3.toml"),
        ("1.3.4", "longhorn-1.3.toml"),
        ("1.4.0", "longhorn-1.4.toml"),
        ("1.4.4", "longhorn-1.4.toml"),
        ("1.5.0", "longhorn-1.5.toml"),
        ("1.13.0", "longhorn-1.5.toml"),
    ] {
        assert_eq!(select(Some(version)).release.origin, origin, "{version}");
    }
    let older = Selection {
        platform: "longhorn".to_owned(),
        version: Some("1.1.3".to_owned()),
        options: BTreeMap::new(),
    };
    assert!(
        Catalog::builtin().select(&older).is_err(),
        "no networking page exists before v1.2"
    );
}

#[test]
fn flow_versions_lie_inside_their_release() {
    for release in releases() {
        let outer = &release.platform.versions;
        for flow in &release.flows {
            let Some(range) = &flow.versions else {
                continue;
            };
            assert!(
                range.lower() >= outer.lower(),
                "{}: {flow:?}",
                release.origin
            );
            match (range.upper(), outer.upper()) {
                (Some(inner), Some(outer)) => {
                    assert!(inner <= outer, "{}: {flow:?}", release.origin)
                }
                (None, Some(_)) => panic!(
                    "{}: flow range open beyond the release: {flow:?}",
                    release.origin
                ),
                _ => {}
            }
        }
    }
}

#[test]
fn every_flow_cites_a_known_source_and_rows() {
    for release in releases() {
        for flow in &release.flows {
            assert!(
                release.sources.iter().any(|s| s.id == flow.source),
                "{}: {flow:?}",
                release.origin
            );
            assert!(
                !flow.rows.is_empty() && flow.rows.iter().all(|r| !r.trim().is_empty()),
                "{flow:?}"
            );
            assert!(!flow.purpose.trim().is_empty(), "{flow:?}");
        }
    }
}

/// Longhorn's tables have no conditions, so flows of one release can only contradict each other through `when`;
/// none may carry one, and no two applicable flows may claim the same from/to/protocol/port (checked by `actual`).
#[test]
fn no_conditions_and_no_contradicting_flows() {
    for release in releases() {
        assert!(release.options.is_empty(), "{}", release.origin);
        assert!(
            release.flows.iter().all(|f| f.when.is_empty()),
            "{}",
            release.origin
        );
        assert!(release.loopback.is_empty(), "{}", release.origin);
    }
    for version in ["1.2.0", "1.3.0", "1.3.2", "1.4.0", "1.5.0", "1.13.0"] {
        actual(&select(Some(version)));
    }
}

#[test]
fn placeholders_are_parameters_without_defaults() {
    for release in releases() {
        let mut names: Vec<&str> = release.parameters.iter().map(|p| p.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            ["apiserver_port", "backupstore_port", "image_download_port"],
            "{}",
            release.origin
        );
        assert!(
            release.parameters.iter().all(|p| p.default.is_none()),
            "Longhorn never states these values"
        );
    }
}

#[test]
fn roles_are_longhorn_pods_or_cluster_nodes() {
    // Pod labels named by the chart's NetworkPolicy templates (v1.5.0+); no source read gives labels before v1.5.
    let chart_selectors: BTreeMap<&str, (&str, &str)> = BTreeMap::from([
        (LM, ("app", "longhorn-manager")),
        (UI, ("app", "longhorn-ui")),
        (CSI, ("app", "longhorn-csi-plugin")),
        (DEPLOYER, ("app", "longhorn-driver-deployer")),
        (IM, ("longhorn.io/component", "instance-manager")),
        (BIM, ("longhorn.io/component", "backing-image-manager")),
        (BIDS, ("longhorn.io/component", "backing-image-data-source")),
    ]);
    for release in releases() {
        let newest = release.platform.versions.upper().is_none();
        for role in &release.roles {
            assert_eq!(
                role.tiers,
                [Tier::Master, Tier::Worker],
                "{}: {}",
                release.origin,
                role.name
            );
            if role.name == "node" {
                assert_eq!(role.network, Network::Host);
                continue;
            }
            assert_eq!(
                role.network,
                Network::Pod,
                "{}: {}",
                release.origin,
                role.name
            );
            assert_eq!(
                role.namespace.as_deref(),
                Some("longhorn-system"),
                "{}: {}",
                release.origin,
                role.name
            );
            let want: BTreeMap<String, String> = match chart_selectors.get(role.name.as_str()) {
                Some((k, v)) if newest => BTreeMap::from([((*k).to_owned(), (*v).to_owned())]),
                _ => BTreeMap::new(),
            };
            assert_eq!(role.selector, want, "{}: {}", release.origin, role.name);
        }
    }
}

/// Seed 003's component set: every component of the architecture post is a role of the release its version
/// (v1.10.1) falls in.
#[test]
fn seed_003_components_are_roles() {
    let release = select(Some("1.10.1")).release;
    for name in [
        LM,
        UI,
        CSI,
        "engine-image",
        IM,
        "csi-attacher",
        "csi-provisioner",
        "csi-resizer",
        "csi-snapshotter",
        DEPLOYER,
        "nfs-client-provisioner",
    ] {
        assert!(
            release.roles.iter().any(|r| r.name == name),
            "{name} is not a role"
        );
    }
    // Components of the networking page itself.
    for name in [
        BIM,
        BIDS,
        "share-manager",
        JOB,
        "uninstaller",
        "discover-proc-kubelet-cmdline",
        "node",
    ] {
        assert!(
            release.roles.iter().any(|r| r.name == name),
            "{name} is not a role"
        );
    }
}

/// Cited rows of a seeded source are "<section heading> | <cells>". Both ways: the cells of every cited row are a
/// row of the seed (except rows the seed's rendering lost), and every data row of the seed is cited (except rows
/// whose cells the rendering mangled). Both exception lists are written from reading the seeds.
#[test]
fn cited_rows_are_verbatim_in_the_seeds() {
    let Some(seeds) = corpus::shared("seeds") else {
        return;
    };
    // Rows of the v1.2.2 page that seed 000 does not show (Manager ingress and Data Source ingress tables lost,
    // the Instance Manager 3260 row lost its sender).
    let lost_in_000 = BTreeSet::from([
        "UI | 9500 | TCP",
        "Longhorn CSI plugin | 9500 | TCP",
        "Backup/Snapshot Recurring Job Pod | 9500 | TCP",
        "Longhorn Driver Deployer | 9500 | TCP",
        "Node in the Cluster | 3260 | TCP",
        "Longhorn Manager | 8001 | TCP",
        "Instance Manager | 8002 | TCP",
    ]);
    // Seed 000 rows with a lost cell: Instance Manager "Node in the Cluster", Driver deployer "Longhorn Manager",
    // Uninstaller "Kubernetes API server port".
    let mangled_in_000 =
        BTreeSet::from(["3260 | TCP", "9500 | TCP", "Kubernetes API server | TCP"]);
    let mut excused = BTreeSet::new();
    let mut seeds_checked = BTreeSet::new();
    for release in releases() {
        for source in &release.sources {
            let Some(seed) = &source.seed else { continue };
            // Seed 003 (architecture post) gives roles, not table rows; no flow cites it.
            if !release.flows.iter().any(|f| f.source == source.id) {
                continue;
            }
            let text = std::fs::read_to_string(seeds.join(seed)).expect("seed is readable");
            let seed_rows: BTreeSet<String> = text
                .lines()
                .filter(|l| l.trim().starts_with('|') || l.trim().ends_with('|'))
                .map(cells)
                .filter(|c| {
                    c.contains(" | ") && !c.starts_with("---") && !c.ends_with("| Port | Protocol")
                })
                .collect();
            // The seed is one version of the page: only flows that apply to that version are compared.
            let seed_version = if seed.starts_with("001_") {
                "1.3.2"
            } else {
                "1.2.2"
            };
            let version = parse_version(seed_version).expect("valid version");
            let mut cited_rows = BTreeSet::new();
            for flow in release.flows.iter().filter(|f| f.source == source.id) {
                if flow
                    .versions
                    .as_ref()
                    .is_some_and(|r| !r.contains(&version))
                {
                    continue;
                }
                for cited in &flow.rows {
                    let (_, cited_cells) =
                        cited.split_once(" | ").expect("row has a section heading");
                    cited_rows.insert(cited_cells);
                    if !seed_rows.contains(cited_cells) {
                        assert!(
                            seed.starts_with("000_") && lost_in_000.contains(cited_cells),
                            "{cited:?} not in {seed}"
                        );
                        excused.insert(cited_cells);
                    }
                }
            }
            for row in &seed_rows {
                let mangled = seed.starts_with("000_") && mangled_in_000.contains(row.as_str());
                assert!(
                    mangled || cited_rows.contains(row.as_str()),
                    "{seed} row {row:?} is cited by no flow"
                );
            }
            seeds_checked.insert(&seed[..4]);
        }
    }
    assert_eq!(
        seeds_checked,
        BTreeSet::from(["000_", "001_"]),
        "seeds 000 and 001 are the cited sources"
    );
    assert_eq!(
        excused, lost_in_000,
        "every excused row is cited and really missing from seed 000"
    );
}

/// A seed line's non-empty cells joined with " | " ("| a | b | c | " and "a | b | c |" both give "a | b | c").
fn cells(line: &str) -> String {
    line.split('|')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}
