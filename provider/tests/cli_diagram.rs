//! `portmatrix diagram`: Mermaid, DOT and SVG (through Graphviz `dot`, or a stand-in for it on PATH). Edges
//! come from etcd's rows (client 2379, peer 2380) and Kublr's Table 1 and 2 with Calico (seed 004).

// Test code: here a failed unwrap, expect, index or panic is a failing test. clippy.toml exempts #[test]
// functions only, not the helpers around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod cli_support;
mod corpus;

use cli_support::{run, run_with};
use std::os::unix::fs::PermissionsExt;

const ETCD: [&str; 5] = [
    "diagram",
    "--platform",
    "etcd",
    "--endpoint",
    "etcd-clients=10.0.0.0/16",
];

#[test]
fn mermaid_by_default() {
    let run = run(&ETCD);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "flowchart LR\n  n0[\"master\"]\n  n1[\"worker\"]\n  n2[\"lb\"]\n  n3([\"etcd-clients\"])\n  \
         n0 -->|\"tcp 2380\"| n0\n  n3 -->|\"tcp 2379\"| n0\n"
    );
    assert_eq!(
        run.stdout,
        cli_support::run(&[&ETCD[..], &["--mermaid"]].concat()).stdout
    );
}

#[test]
fn one_edge_per_pair_with_every_protocol() {
    let run = run(&["diagram", "--platform", "kublr", "--option", "cni=calico"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Workers reach masters on the node-to-node ports of Table 1 and the API (443) of Table 2.
    assert!(
        run.stdout
            .contains("  n1 -->|\"tcp 179, 443, 5473, 10250<br/>udp 8472<br/>proto 4\"| n0\n"),
        "{}",
        run.stdout
    );
    // The internet flows need an endpoint: skipped with a warning, the diagram still drawn.
    assert!(
        run.stderr
            .contains("endpoint \"internet\" of kublr has no addresses"),
        "{}",
        run.stderr
    );
}

#[test]
fn graphviz_dot() {
    let run = run(&[&ETCD[..], &["--dot"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "digraph portmatrix {\n  rankdir=LR;\n  node [shape=box];\n  \"master\";\n  \"worker\";\n  \"lb\";\n  \
         \"etcd-clients\" [shape=ellipse];\n  \"master\" -> \"master\" [label=\"tcp 2380\"];\n  \
         \"etcd-clients\" -> \"master\" [label=\"tcp 2379\"];\n}\n"
    );
}

/// A directory holding a `dot` stand-in that runs `script`.
fn fake_dot(script: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("dot");
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).expect("write dot");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

#[test]
fn svg_through_dot() {
    // The stand-in checks its argument and wraps the DOT it reads, which proves the graph is piped to it.
    let dir = fake_dot(
        "[ \"$1\" = -Tsvg ] || exit 3\necho '<svg xmlns=\"http://www.w3.org/2000/svg\">'\ncat\necho '</svg>'",
    );
    let path = format!("{}:/usr/bin:/bin", dir.path().display());
    let run = run_with(&[&ETCD[..], &["--svg"]].concat(), "", Some(&path));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\">\ndigraph portmatrix {\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.ends_with("}\n</svg>\n"), "{}", run.stdout);
}

#[test]
fn svg_without_or_with_a_failing_dot_is_an_error() {
    let empty = tempfile::tempdir().expect("temporary directory");
    let run = run_with(&[&ETCD[..], &["--svg"]].concat(), "", empty.path().to_str());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("error: cannot run Graphviz `dot`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("print DOT with --dot"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());

    let dir = fake_dot("cat >/dev/null\necho 'syntax error' >&2\nexit 1");
    let path = format!("{}:/usr/bin:/bin", dir.path().display());
    let run = run_with(&[&ETCD[..], &["--svg"]].concat(), "", Some(&path));
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("`dot` failed (exit status: 1): syntax error"),
        "{}",
        run.stderr
    );
}

#[test]
fn formats_are_exclusive_and_selection_errors_exit_two() {
    let both = run(&[&ETCD[..], &["--dot", "--svg"]].concat());
    assert_eq!(both.code, 2);
    let none = run(&["diagram"]);
    assert_eq!(none.code, 2);
    assert!(
        none.stderr.contains("no platform selected"),
        "{}",
        none.stderr
    );
}

#[test]
fn a_hanging_dot_is_stopped_after_the_timeout() {
    // The stand-in writes its process ID beside itself, then hangs without reading its input.
    let dir = fake_dot("echo $$ > \"$(dirname \"$0\")/pid\"\nexec sleep 600");
    let dir_path = dir.path().display().to_string();
    let path = format!("{dir_path}:/usr/bin:/bin");
    let started = std::time::Instant::now();
    let run = run_with(
        &[&ETCD[..], &["--svg", "--svg-timeout", "1"]].concat(),
        "",
        Some(&path),
    );
    let elapsed = started.elapsed();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "error: --svg: Graphviz `dot -Tsvg` did not finish within 1 s and was stopped; give it longer with \
             --svg-timeout SECONDS, or print DOT with --dot"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(elapsed < std::time::Duration::from_secs(20), "{elapsed:?}");
    // The stand-in was killed and waited for before portmatrix exited: no process of that ID is left.
    let pid = std::fs::read_to_string(dir.path().join("pid")).expect("the stand-in ran");
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()));
    assert!(stat.is_err(), "the stand-in outlived portmatrix: {stat:?}");
}

#[test]
fn the_svg_timeout_defaults_to_a_minute_and_needs_svg() {
    let help = run(&["diagram", "--help"]);
    assert!(
        help.stdout.contains("--svg-timeout <SECONDS>"),
        "{}",
        help.stdout
    );
    assert!(help.stdout.contains("[default: 60]"), "{}", help.stdout);
    let alone = run(&[&ETCD[..], &["--svg-timeout", "5"]].concat());
    assert_eq!(alone.code, 2);
    assert!(alone.stderr.contains("--svg"), "{}", alone.stderr);
}
