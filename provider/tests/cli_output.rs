//! Output that cannot be written is never lost silently: every command that writes to standard output exits
//! non-zero when the output cannot be written there (a full device, a closed descriptor) with the reason on
//! stderr, and exits quietly with 141 when the reader of a pipe has gone, as a program ended by SIGPIPE does.
//! None of them panics.

// Test code: here a failed unwrap, expect, index or panic is a failing test. clippy.toml exempts #[test]
// functions only, not the helpers around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs::File;
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// A plan with one security group, reviewed against etcd: it has findings and so output.
const PLAN: &str = r#"{"format_version": "1.2", "planned_values": {"root_module": {"resources": [
    {"address": "aws_security_group.master", "mode": "managed", "type": "aws_security_group",
     "values": {"name": "master", "ingress": [], "egress": []}}]}}}"#;

/// Every command that writes to standard output, with the exit code it has when the output is written.
fn commands() -> Vec<(Vec<&'static str>, i32)> {
    vec![
        (vec!["--help"], 0),
        (vec!["--version"], 0),
        (vec!["catalog", "--help"], 0),
        (vec!["catalog", "list"], 0),
        (vec!["catalog", "list", "--json"], 0),
        (vec!["catalog", "show", "etcd"], 0),
        (vec!["catalog", "diff", "k3s", "1.30", "1.31"], 0),
        (
            vec![
                "expand",
                "--platform",
                "etcd",
                "--endpoint",
                "etcd-clients=10.0.0.0/16",
            ],
            0,
        ),
        (
            vec![
                "expand",
                "--platform",
                "etcd",
                "--endpoint",
                "etcd-clients=10.0.0.0/16",
                "--target",
                "aws",
                "--json",
            ],
            0,
        ),
        (
            vec![
                "diagram",
                "--platform",
                "etcd",
                "--endpoint",
                "etcd-clients=10.0.0.0/16",
            ],
            0,
        ),
        (
            vec![
                "review",
                "-",
                "--platform",
                "etcd",
                "--endpoint",
                "etcd-clients=10.0.0.0/16",
            ],
            1,
        ),
        (vec!["completions", "bash"], 0),
        (vec!["man"], 0),
    ]
}

/// Runs portmatrix with `args`, the plan on stdin, and `stdout` as its standard output.
fn run(args: &[&str], stdout: Stdio) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portmatrix"));
    command.args(args);
    run_command(command, stdout)
}

/// Runs `command` with the plan on stdin and `stdout` as its standard output.
fn run_command(mut command: Command, stdout: Stdio) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("portmatrix starts");
    let mut stdin = child.stdin.take().expect("stdin");
    // A command that does not read its input may have exited already.
    let _ = stdin.write_all(PLAN.as_bytes());
    drop(stdin);
    child.wait_with_output().expect("portmatrix runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn every_command_writes_its_output() {
    for (args, code) in commands() {
        let output = run(&args, Stdio::piped());
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(!output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_full_device_is_an_error() {
    for (args, _) in commands() {
        let full = File::options()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let output = run(&args, Stdio::from(full));
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {text}");
        assert!(
            text.contains(
                "error: cannot write the output to standard output: No space left on device"
            ),
            "{args:?}: {text}"
        );
        assert!(!text.contains("panicked"), "{args:?}: {text}");
    }
}

#[test]
fn a_reader_that_went_away_ends_quietly_with_141() {
    for (args, _) in commands() {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let output = run(&args, Stdio::from(writer));
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(141), "{args:?}: {text}");
        assert!(!text.contains("error"), "{args:?}: {text}");
        assert!(!text.contains("panicked"), "{args:?}: {text}");
    }
}

#[test]
fn a_closed_standard_output_is_an_error_and_dev_null_is_not() {
    for (args, code) in commands() {
        let mut shell = Command::new("sh");
        shell
            .args([
                "-c",
                "exec \"$0\" \"$@\" >&-",
                env!("CARGO_BIN_EXE_portmatrix"),
            ])
            .args(&args);
        let output = run_command(shell, Stdio::null());
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {text}");
        assert!(
            text.contains(
                "error: cannot write the output to standard output: standard output is closed"
            ),
            "{args:?}: {text}"
        );
        if args[0] != "review" {
            let null = File::options()
                .write(true)
                .open("/dev/null")
                .expect("/dev/null");
            let output = run(&args, Stdio::from(null));
            assert_eq!(
                output.status.code(),
                Some(code),
                "{args:?}: {}",
                stderr(&output)
            );
        }
    }
}

#[test]
fn a_closed_standard_error_does_not_panic() {
    // Warnings go to stderr (etcd-clients without addresses); its reader has gone.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let output = Command::new(env!("CARGO_BIN_EXE_portmatrix"))
        .args(["expand", "--platform", "etcd"])
        .stdout(Stdio::piped())
        .stderr(Stdio::from(writer))
        .output()
        .expect("portmatrix runs");
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("2380"));
}
