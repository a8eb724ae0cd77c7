//! Shared helpers of the `portmatrix` CLI integration tests: run the built binary, find the plan fixtures.
// Each test crate includes this module and uses only some of its helpers.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// What a run of `portmatrix` printed and returned.
pub struct Run {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs the built `portmatrix` with `args`, `stdin` on its standard input and `path` as PATH when given.
pub fn run_with(args: &[&str], stdin: &str, path: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portmatrix"));
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(path) = path {
        command.env("PATH", path);
    }
    let mut child = command.spawn().expect("portmatrix starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("portmatrix runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

/// Runs the built `portmatrix` with `args`.
pub fn run(args: &[&str]) -> Run {
    run_with(args, "", None)
}

/// Whether the plan fixtures kept beside the repository (`../shared/fixtures/plans`) are there: always in CI (a
/// missing corpus fails there); on a clone with nothing beside it, tests that read them return early.
pub fn fixtures() -> bool {
    super::corpus::shared("fixtures/plans").is_some()
}

/// The path of a plan fixture; call [`fixtures`] first. A fixture missing from a present corpus fails.
pub fn plan(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/plans")
        .join(name);
    assert!(path.is_file(), "plan fixture {} is missing", path.display());
    path.to_string_lossy().into_owned()
}

/// A selection file with `text`, named with `extension`, alive as long as the returned handle.
pub fn selection(text: &str, extension: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new()
        .suffix(&format!(".{extension}"))
        .tempfile()
        .expect("temporary file");
    file.write_all(text.as_bytes()).expect("write selection");
    file
}
