//! The `portmatrix` command line run as a user would: every platform listed, releases shown, upgrades diffed,
//! errors with exit code 2.

use std::process::Command;

/// Every platform the catalog issue names.
const PLATFORMS: [&str; 15] = [
    "calico",
    "canal",
    "cilium",
    "deckhouse",
    "etcd",
    "flannel",
    "ingress-nginx",
    "k3s",
    "kubernetes",
    "kublr",
    "longhorn",
    "metallb",
    "node-exporter",
    "rke2",
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
