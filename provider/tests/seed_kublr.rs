//! Row-by-row checks of the built-in Kublr catalog against its source document: Kublr's "Network Access" page
//! (seed 004, Tables 1-5). Expected rows are written from the page, not from the program.

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

use portmatrix::catalog::{flow_lines, Catalog, PortSpec, Protocol, Selected, Selection};

/// One documented port: the flow it must produce and the option settings under which it applies.
mod seed_support;
use seed_support::{row, row_if, Row};

const CANAL: &[(&str, &str)] = &[("cni", "canal")];
const CALICO: &[(&str, &str)] = &[("cni", "calico")];
const WEAVE: &[(&str, &str)] = &[("cni", "weave")];
const FLANNEL: &[(&str, &str)] = &[("cni", "flannel")];
const ONLINE: &[(&str, &str)] = &[("air_gap", "false")];
const AIR_GAP: &[(&str, &str)] = &[("air_gap", "true")];
const MASTER_LB: &[(&str, &str)] = &[("master_lb", "true")];
const INGRESS_LB: &[(&str, &str)] = &[("ingress_lb", "true")];
const BYO: &[(&str, &str)] = &[("byo_infrastructure", "true")];

/// Tables 1-5 of the page; "TCP/UDP" cells give a tcp and a udp entry, "4 (IP-in-IP)" is IP protocol 4.
const ROWS: &[Row] = &[
    // Table 1. Node to Node (masters and workers)
    row("node", "node", "tcp", "10250"),
    row_if("node", "node", "udp", "8472", CANAL),
    row_if("node", "node", "tcp", "5473", CANAL),
    row_if("node", "node", "4", "all", CALICO),
    row_if("node", "node", "tcp", "179", CALICO),
    row_if("node", "node", "udp", "8472", CALICO),
    row_if("node", "node", "tcp", "5473", CALICO),
    row_if("node", "node", "tcp", "6783", WEAVE),
    row_if("node", "node", "udp", "6783", WEAVE),
    row_if("node", "node", "udp", "6784", WEAVE),
    row_if("node", "node", "udp", "8285", FLANNEL),
    row_if("node", "node", "udp", "8472", FLANNEL),
    // Table 2. Workers to Masters
    // The selection's api_server_port; Kublr's parameter default is the table's 443.
    row("worker", "master", "tcp", "${apiserver_port}"),
    row_if("worker", "master", "tcp", "11250", BYO),
    // Table 3. Master to Masters
    row("master", "master", "tcp", "2379"),
    row("master", "master", "tcp", "2380"),
    // Table 4. Other
    row_if("node", "internet", "tcp", "53", ONLINE),
    row_if("node", "internet", "udp", "53", ONLINE),
    row_if("node", "internet", "tcp", "443", ONLINE),
    row_if("node", "intranet", "tcp", "53", AIR_GAP),
    row_if("node", "intranet", "udp", "53", AIR_GAP),
    row_if("node", "intranet", "tcp", "443", AIR_GAP),
    row_if("master-lb", "master", "tcp", "443", MASTER_LB),
    row_if("ingress-lb", "worker", "tcp", "30000-32767", INGRESS_LB),
    row_if("ingress-lb", "worker", "udp", "30000-32767", INGRESS_LB),
    // Table 5. Kublr Control Plane
    row("kcp-node", "managed-cluster-api", "tcp", "443"),
    row("kcp-node", "cloud-api", "tcp", "443"),
    row_if("kcp-node", "master", "tcp", "11250", BYO),
];

fn select(options: &[(&str, &str)]) -> Selected<'static> {
    let selection = Selection {
        platform: "kublr".to_owned(),
        version: None,
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    match Catalog::builtin().select(&selection) {
        Ok(selected) => selected,
        Err(e) => panic!("kublr {options:?}: {e}"),
    }
}

fn line(r: &Row) -> String {
    format!("{} -> {} {} {}", r.from, r.to, r.proto, r.port)
}

fn expected(options: &BTreeMap<String, String>) -> BTreeSet<String> {
    ROWS.iter()
        .filter(|r| {
            r.when
                .iter()
                .all(|(k, v)| options.get(*k).map(String::as_str) == Some(*v))
        })
        .map(line)
        .collect()
}

/// Lines of the selected flows; fails on a line produced twice.
fn actual(selected: &Selected<'_>) -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    for flow in &selected.flows {
        for l in flow_lines(flow) {
            assert!(lines.insert(l.clone()), "{l} is produced twice");
        }
    }
    lines
}

#[test]
fn defaults_are_documented_choices() {
    let selected = select(&[]);
    let want: BTreeMap<String, String> = [
        ("air_gap", "false"),
        ("byo_infrastructure", "false"),
        ("cni", "canal"),
        ("ingress_lb", "false"),
        ("master_lb", "false"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(selected.options, want);
    assert_eq!(selected.release.origin, "kublr.toml");
    assert_eq!(selected.release.platform.versions.text(), "*");
    assert!(
        selected.release.platform.version_note.is_some(),
        "the page is undated"
    );
}

#[test]
fn rows_for_every_combination() {
    for cni in ["canal", "calico", "weave", "flannel"] {
        for air_gap in ["true", "false"] {
            for flag in ["false", "true"] {
                let options = [
                    ("cni", cni),
                    ("air_gap", air_gap),
                    ("master_lb", flag),
                    ("ingress_lb", flag),
                    ("byo_infrastructure", flag),
                ];
                let selected = select(&options);
                let want = expected(&selected.options);
                let got = actual(&selected);
                let missing: Vec<_> = want.difference(&got).collect();
                let extra: Vec<_> = got.difference(&want).collect();
                assert!(
                    missing.is_empty() && extra.is_empty(),
                    "{options:?}: missing {missing:?}, undocumented {extra:?}"
                );
            }
        }
    }
}

#[test]
fn conditional_rows_are_absent_when_off() {
    let canal = actual(&select(&[]));
    for absent in [
        "node -> node tcp 179",
        "node -> node 4 all",
        "node -> node udp 6783",
        "node -> node udp 8285",
        "node -> intranet tcp 443",
        "master-lb -> master tcp 443",
        "ingress-lb -> worker tcp 30000-32767",
        "worker -> master tcp 11250",
        "kcp-node -> master tcp 11250",
    ] {
        assert!(!canal.contains(absent), "{absent} with the defaults");
    }
    for present in [
        "node -> node udp 8472",
        "node -> node tcp 5473",
        "worker -> master tcp ${apiserver_port}",
        "node -> internet udp 53",
    ] {
        assert!(canal.contains(present), "{present} with the defaults");
    }

    let air_gapped = actual(&select(&[("air_gap", "true")]));
    for l in [
        "node -> intranet tcp 53",
        "node -> intranet udp 53",
        "node -> intranet tcp 443",
    ] {
        assert!(air_gapped.contains(l), "{l} with air_gap=true");
    }
    assert!(
        !air_gapped.iter().any(|l| l.contains("-> internet ")),
        "no Internet rows with air_gap=true"
    );

    let calico = actual(&select(&[("cni", "calico")]));
    assert!(calico.contains("node -> node tcp 179") && calico.contains("node -> node 4 all"));
    assert!(
        !calico.contains("node -> node udp 4789"),
        "Kublr gives Calico VXLAN as 8472, not 4789"
    );
}

#[test]
fn ip_in_ip_is_ip_protocol_4_without_ports() {
    let selected = select(&[("cni", "calico")]);
    let ipip: Vec<_> = selected
        .flows
        .iter()
        .filter(|f| f.protocol == Protocol::Number(4))
        .collect();
    assert_eq!(ipip.len(), 1);
    assert_eq!(ipip[0].ports, PortSpec::All);
    assert!(ipip[0].rows[0].contains("4 (IP-in-IP)"));
}

#[test]
fn disagreements_are_recorded() {
    let platform = Catalog::builtin()
        .platform("kublr")
        .expect("kublr is built in");
    assert_eq!(platform.releases.len(), 1);
    let text: String = platform.releases[0]
        .disagreements
        .iter()
        .map(|d| format!("{} {}\n", d.topic, d.text))
        .collect();
    for needle in ["Table 4", "4789", "6443"] {
        assert!(text.contains(needle), "no disagreement mentions {needle}");
    }
}

#[test]
fn every_flow_cites_a_source_and_rows() {
    let errors: Vec<String> = Catalog::builtin_errors()
        .iter()
        .map(ToString::to_string)
        .filter(|e| e.starts_with("kublr"))
        .collect();
    assert!(
        errors.is_empty(),
        "kublr documents left out of the catalog: {errors:#?}"
    );
    let platform = Catalog::builtin()
        .platform("kublr")
        .expect("kublr is built in");
    for release in &platform.releases {
        assert!(release.loopback.is_empty());
        for flow in &release.flows {
            assert!(
                release.sources.iter().any(|s| s.id == flow.source),
                "{flow:?}"
            );
            assert!(
                !flow.rows.is_empty() && flow.rows.iter().all(|r| !r.trim().is_empty()),
                "{flow:?}"
            );
            assert!(!flow.purpose.is_empty(), "{flow:?}");
        }
    }
}

/// Each cited row is "<table title> | <cell> | <cell> ...": the title is a line of the seed and the cells, joined
/// without separators (the stored page lost them), are a line of that table. The seeds must be present (shared/ beside the repository).
#[test]
fn cited_rows_are_verbatim_in_the_seed() {
    let Some(seeds) = corpus::shared("seeds") else {
        return;
    };
    let platform = Catalog::builtin()
        .platform("kublr")
        .expect("kublr is built in");
    let mut checked = 0;
    for release in &platform.releases {
        for source in &release.sources {
            let Some(seed) = &source.seed else { continue };
            let text = std::fs::read_to_string(seeds.join(seed)).expect("seed is readable");
            let tables = seed_tables(&text);
            for flow in release.flows.iter().filter(|f| f.source == source.id) {
                for cited in &flow.rows {
                    let (title, cells) = cited.split_once(" | ").expect("row has a table title");
                    let rows = tables
                        .get(title)
                        .unwrap_or_else(|| panic!("no table {title:?} in {seed}"));
                    let joined = cells.replace(" | ", "");
                    assert!(rows.contains(&joined.as_str()), "{cited:?} not in {seed}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= ROWS.len(), "only {checked} rows checked");
}

/// The seed's tables: a "Table N. ..." line followed by its non-empty lines.
fn seed_tables(text: &str) -> BTreeMap<&str, Vec<&str>> {
    let mut tables: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut title = None;
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        if l.starts_with("Table ") {
            title = Some(l);
        } else if let Some(t) = title {
            tables.entry(t).or_default().push(l);
        }
    }
    tables
}
