//! The `portmatrix` command line as a standalone tool: `--version` names the provider and catalog releases it
//! carries, and shell completions and manual pages come from its own clap definitions.

// Test code: here a failed unwrap, expect, index or panic is a failing test. clippy.toml exempts #[test]
// functions only, not the helpers around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;

fn portmatrix(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_portmatrix"))
        .args(args)
        .output()
        .expect("portmatrix runs");
    assert!(
        output.status.success(),
        "portmatrix {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

#[test]
fn version_names_provider_protocol_and_catalog_releases() {
    let version = env!("CARGO_PKG_VERSION");
    let long = portmatrix(&["--version"]);
    let lines: Vec<&str> = long.lines().collect();
    assert_eq!(lines[0], format!("portmatrix {version}"));
    assert_eq!(
        lines[1],
        format!(
            "provider: terraform-provider-portmatrix {version} (Terraform plugin protocol 6.0)"
        )
    );
    assert!(
        lines[2].starts_with(&format!(
            "catalog: built into portmatrix {version}, 27 platforms, "
        )),
        "{long}"
    );
    // Longhorn's networking page changed in 1.3, 1.4 and 1.5 (provider/catalogs/longhorn-*.toml).
    assert!(
        lines.contains(&"  longhorn >=1.2.0, <1.3.0 | >=1.3.0, <1.4.0 | >=1.4.0, <1.5.0 | >=1.5.0"),
        "{long}"
    );
    assert!(
        lines.contains(
            &"  deckhouse >=1.60.0, <1.62.0 | >=1.62.0, <1.63.0 | >=1.63.0, <1.67.0 | >=1.67.0, <1.68.0 | >=1.74.0"
        ),
        "{long}"
    );
    // Rancher's Port Requirements page was read for 2.6, 2.10 and 2.13 (provider/catalogs/rancher-*.toml).
    assert!(
        lines.contains(&"  rancher >=2.6.0, <2.7.0 | >=2.10.0, <2.11.0 | >=2.13.0"),
        "{long}"
    );
    assert_eq!(portmatrix(&["-V"]), format!("portmatrix {version}\n"));
}

#[test]
fn completions_cover_the_subcommands() {
    let bash = portmatrix(&["completions", "bash"]);
    assert!(bash.contains("complete -F _portmatrix"), "{bash}");
    for subcommand in [
        "catalog",
        "expand",
        "review",
        "diagram",
        "audit",
        "completions",
        "man",
    ] {
        assert!(
            bash.contains(subcommand),
            "{subcommand} missing from the bash completion"
        );
    }
    let zsh = portmatrix(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef portmatrix"), "{zsh}");
    let fish = portmatrix(&["completions", "fish"]);
    assert!(fish.contains("complete -c portmatrix"), "{fish}");
}

#[test]
fn manual_pages_document_every_subcommand() {
    let page = portmatrix(&["man"]);
    assert!(page.contains(".TH portmatrix 1"), "{page}");
    assert!(
        page.contains("Kubernetes platform port tables as data"),
        "{page}"
    );
    assert!(page.contains("portmatrix\\-expand(1)"), "{page}");

    let dir = tempfile::tempdir().expect("temp dir");
    portmatrix(&["man", "--dir", dir.path().to_str().expect("UTF-8 path")]);
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "portmatrix-audit.1",
            "portmatrix-catalog-diff.1",
            "portmatrix-catalog-list.1",
            "portmatrix-catalog-show.1",
            "portmatrix-catalog-verify.1",
            "portmatrix-catalog.1",
            "portmatrix-completions.1",
            "portmatrix-diagram.1",
            "portmatrix-expand.1",
            "portmatrix-man.1",
            "portmatrix-review.1",
            "portmatrix.1",
        ]
    );
    let expand = std::fs::read_to_string(dir.path().join("portmatrix-expand.1")).expect("page");
    let title = format!(
        ".TH portmatrix-expand 1  \"expand {}\"",
        env!("CARGO_PKG_VERSION")
    );
    assert!(expand.contains(&title), "{expand}");
}
