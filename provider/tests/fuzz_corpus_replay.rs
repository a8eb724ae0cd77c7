//! Replays the committed fuzz corpus (`provider/fuzz/corpus/<target>/`) through the fuzz targets' entry points
//! (`portmatrix::fuzzing`) on the stable toolchain, so that `make test` catches a regression on any input a
//! fuzzer once found interesting, the inputs of fixed crashes included. Fuzzing itself needs nightly (DESIGN.md,
//! "Fuzzing"); this needs nothing but the files.

// Test code: here a failed unwrap, expect, index or panic is a failing test. clippy.toml exempts #[test]
// functions only, not the helpers around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::any::Any;
use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

use portmatrix::fuzzing::{Target, TARGETS};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The text of a panic's payload.
fn message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic without a message".to_string())
}

/// Runs every corpus file of `name` through its entry point; fails naming each file that panics.
fn replay(name: &str) {
    let target: Target = TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, target)| *target)
        .unwrap_or_else(|| panic!("no fuzz target {name}"));
    let dir = fuzz_dir().join("corpus").join(name);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read the corpus {}: {e}", dir.display()))
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("cannot list the corpus {}: {e}", dir.display()));
    files.sort();
    assert!(!files.is_empty(), "the corpus {} is empty", dir.display());
    let mut failures = Vec::new();
    for file in &files {
        let data = fs::read(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        if let Err(payload) = panic::catch_unwind(|| target(&data)) {
            failures.push(format!("{}: {}", file.display(), message(&*payload)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus files of {name} fail (run `cargo +nightly fuzz run {name} FILE` in provider/ to \
         debug one):\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    eprintln!("{name}: {} corpus files replayed", files.len());
}

#[test]
fn msgpack_value() {
    replay("msgpack_value");
}

#[test]
fn review_plan() {
    replay("review_plan");
}

#[test]
fn selection_file() {
    replay("selection_file");
}

#[test]
fn user_catalog() {
    replay("user_catalog");
}

#[test]
fn writers() {
    replay("writers");
}

/// Every fuzz target has an entry point with its corpus, and the other way round, so that no corpus goes
/// unreplayed when a target is added.
#[test]
fn every_target_has_its_entry_point_and_corpus() {
    let names = |dir: &Path, strip: &str| -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().to_string();
                name.strip_suffix(strip).map(str::to_string)
            })
            .collect();
        names.sort();
        names
    };
    let mut entry_points: Vec<String> = TARGETS.iter().map(|(n, _)| n.to_string()).collect();
    entry_points.sort();
    assert_eq!(names(&fuzz_dir().join("fuzz_targets"), ".rs"), entry_points);
    assert_eq!(names(&fuzz_dir().join("corpus"), ""), entry_points);
}
