//! Harness for acceptance tests that drive real Terraform CLIs against the portmatrix provider.
//!
//! Every test runs against each Terraform it can find: the pinned 1.0.3 that `acceptance-tests/setup.sh`
//! installs into `.tools/bin`, and any other `terraform` on PATH (often 1.11.x). Finding no Terraform at all is
//! a failure, never a skip. Two ways to load the freshly built provider:
//! - [`Workspace::new`]: a `dev_overrides` CLI configuration, no `terraform init`, for configurations that use
//!   portmatrix alone;
//! - [`Workspace::installed`]: `terraform init` as a user runs it, portmatrix from a filesystem mirror of the
//!   build and `hashicorp/aws` from the machine's mirror ([`aws_mirror`]) or the registry, for configurations
//!   that also manage AWS resources.
//!
//! The binaries are built with the `aws-audit` feature, as releases are, so that the audit tests run against
//! [`moto::Moto`], a real EC2 API on loopback.

pub mod moto;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The provider address configurations use (`source = "portmatrix/portmatrix"`).
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/portmatrix/portmatrix";

/// The `terraform { required_providers { … } }` block every test configuration starts with.
pub const REQUIRED_PROVIDERS: &str = r#"
terraform {
  required_providers {
    portmatrix = { source = "portmatrix/portmatrix" }
  }
}
"#;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A Terraform CLI found on this machine.
#[derive(Debug, Clone)]
pub struct Terraform {
    /// The executable.
    pub path: PathBuf,
    /// Its version, e.g. `1.0.3`.
    pub version: String,
}

/// Every distinct Terraform available: the pinned one from `.tools/bin`, then the one on PATH.
///
/// Panics (failing the test) when the pinned 1.0.3 is missing: run `acceptance-tests/setup.sh` first.
pub fn terraforms() -> &'static [Terraform] {
    static FOUND: OnceLock<Vec<Terraform>> = OnceLock::new();
    FOUND.get_or_init(|| {
        let pinned = repo_root().join(".tools/bin/terraform-1.0.3");
        let mut found = Vec::new();
        for candidate in [pinned.clone(), PathBuf::from("terraform")] {
            if let Some(version) = terraform_version(&candidate) {
                if !found.iter().any(|t: &Terraform| t.version == version) {
                    found.push(Terraform {
                        path: candidate,
                        version,
                    });
                }
            }
        }
        assert!(
            found.iter().any(|t| t.version == "1.0.3"),
            "Terraform 1.0.3 not found at {}: run acceptance-tests/setup.sh first",
            pinned.display()
        );
        found
    })
}

fn terraform_version(path: &Path) -> Option<String> {
    let output = Command::new(path)
        .arg("version")
        .arg("-json")
        .output()
        .ok()?;
    let parsed: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    parsed["terraform_version"].as_str().map(str::to_string)
}

/// The debug builds of the provider and of the `portmatrix` CLI, with the `aws-audit` feature, built once per
/// test process; the directory holding them.
fn binaries() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(repo_root())
            .args(["build", "--quiet", "-p", "terraform-provider-portmatrix"])
            .args(["--features", "aws-audit"])
            .args([
                "--bin",
                "terraform-provider-portmatrix",
                "--bin",
                "portmatrix",
            ])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the provider failed");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join("target"));
        target.join("debug")
    })
}

fn binary(name: &str) -> PathBuf {
    let binary = binaries().join(name);
    assert!(binary.exists(), "{} missing after build", binary.display());
    binary
}

/// The debug build of the provider binary, built once per test process.
pub fn provider_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| binary("terraform-provider-portmatrix"))
}

/// The debug build of the `portmatrix` command line, built with the provider.
pub fn portmatrix_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| binary("portmatrix"))
}

/// The provider version the mirror of the debug build announces (the workspace's version).
pub const PROVIDER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where this machine keeps a filesystem mirror of `hashicorp/aws`: `PORTMATRIX_AWS_MIRROR` if set, else the
/// first of the known image locations holding `registry.terraform.io/hashicorp/aws`. `None` means
/// `terraform init` gets the provider from the registry.
pub fn aws_mirror() -> Option<PathBuf> {
    let candidates = std::env::var_os("PORTMATRIX_AWS_MIRROR")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            [
                "/opt/tf-plugins",
                "/usr/local/share/terraform/plugins",
                "/usr/share/terraform/plugins",
            ]
            .map(PathBuf::from),
        );
    candidates
        .into_iter()
        .find(|root| root.join("registry.terraform.io/hashicorp/aws").is_dir())
}

/// A filesystem mirror (unpacked layout) holding the debug build of the provider as version
/// [`PROVIDER_VERSION`], made once per test process.
fn provider_mirror() -> &'static Path {
    static MIRROR: OnceLock<tempfile::TempDir> = OnceLock::new();
    MIRROR
        .get_or_init(|| {
            let mirror = tempfile::Builder::new()
                .prefix("portmatrix-mirror")
                .tempdir()
                .expect("temp dir");
            let dir = mirror.path().join(format!(
                "registry.terraform.io/portmatrix/portmatrix/{PROVIDER_VERSION}/linux_amd64"
            ));
            std::fs::create_dir_all(&dir).expect("mirror directory");
            let binary = dir.join(format!("terraform-provider-portmatrix_v{PROVIDER_VERSION}"));
            // A hard link is instant and costs no space; a copy where the temp dir is on another file system.
            if std::fs::hard_link(provider_binary(), &binary).is_err() {
                std::fs::copy(provider_binary(), &binary)
                    .expect("copy the provider into the mirror");
            }
            mirror
        })
        .path()
}

/// Where [`Workspace::installing`] has `terraform init` get portmatrix from.
#[derive(Debug, Clone, Copy)]
pub enum PortmatrixSource<'a> {
    /// A filesystem mirror rooted here, in the unpacked or the packed (zip) layout.
    FilesystemMirror(&'a Path),
    /// A provider network mirror at this HTTPS URL (ending in `/`).
    NetworkMirror(&'a str),
}

/// The CLI configuration of [`Workspace::installing`]: portmatrix from `source`, `hashicorp/aws` from
/// [`aws_mirror`] when there is one, everything else (and `hashicorp/aws` otherwise) from the registry.
fn installing_cli_config(source: PortmatrixSource) -> String {
    let mut config = match source {
        PortmatrixSource::FilesystemMirror(root) => format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{PROVIDER_ADDRESS}\"]\n  }}\n",
            root.display()
        ),
        PortmatrixSource::NetworkMirror(url) => format!(
            "provider_installation {{\n  network_mirror {{\n    url     = \"{url}\"\n    include = [\"{PROVIDER_ADDRESS}\"]\n  }}\n"
        ),
    };
    let mut mirrored = vec![PROVIDER_ADDRESS.to_string()];
    if let Some(aws) = aws_mirror() {
        config.push_str(&format!(
            "  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{AWS_PROVIDER_ADDRESS}\"]\n  }}\n",
            aws.display()
        ));
        mirrored.push(AWS_PROVIDER_ADDRESS.to_string());
    }
    let excluded: Vec<String> = mirrored.iter().map(|a| format!("\"{a}\"")).collect();
    config.push_str(&format!(
        "  direct {{\n    exclude = [{}]\n  }}\n}}\n",
        excluded.join(", ")
    ));
    config
}

/// The `*.tf` files of a directory of the repository (such as `examples/aws-kubernetes-cluster`), by name.
pub fn example_files(dir: &str) -> Vec<(String, String)> {
    let dir = repo_root().join(dir);
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    let mut files: Vec<(String, String)> = entries
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "tf"))
        .map(|path| {
            let name = path
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&path).expect("read a .tf file");
            (name, text)
        })
        .collect();
    files.sort();
    files
}

/// Checks `log` against the SARIF 2.1.0 JSON schema (`.tools/sarif`, fetched by `acceptance-tests/setup.sh`) with
/// Python's jsonschema from `.tools/moto-venv`; panics with the validator's message. Returns the parsed log.
pub fn validate_sarif(log: &str) -> serde_json::Value {
    let schema = repo_root().join(".tools/sarif/sarif-2.1.0-rtm.5.json");
    assert!(
        schema.is_file(),
        "{} missing: run acceptance-tests/setup.sh",
        schema.display()
    );
    let python = repo_root().join(".tools/moto-venv/bin/python");
    let mut child = Command::new(python)
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             jsonschema.Draft4Validator(schema).validate(json.load(sys.stdin))",
        ])
        .arg(&schema)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), log.as_bytes())
        .expect("write the log");
    let output = child.wait_with_output().expect("the validator finishes");
    assert!(
        output.status.success(),
        "not a valid SARIF 2.1.0 log:\n{}\n{log}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(log).expect("SARIF is JSON")
}

/// The CLI configuration file each workspace writes for itself.
const CLI_CONFIG: &str = "cli.tfrc";

/// The address of the real AWS provider.
pub const AWS_PROVIDER_ADDRESS: &str = "registry.terraform.io/hashicorp/aws";

/// A temporary Terraform working directory wired to the freshly built provider.
pub struct Workspace {
    dir: tempfile::TempDir,
    terraform: Terraform,
    env: Vec<(String, String)>,
}

/// What a Terraform command printed, and whether it succeeded.
#[derive(Debug)]
pub struct Run {
    /// Exit status was 0.
    pub success: bool,
    /// The exit code (`None` when a signal ended the process).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// What a failed run said, for an assertion message: all of standard error (Terraform's diagnostics) first,
    /// then the last 40 lines of standard output. CI logs cut long messages, and an apply's output starts with
    /// hundreds of lines of refreshing state that would push the error out of sight.
    pub fn failure_report(&self) -> String {
        let lines: Vec<&str> = self.stdout.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        let skipped = lines.len().saturating_sub(40);
        format!(
            "exit code {:?}\n--- stderr ---\n{}\n--- stdout ({skipped} earlier lines left out) ---\n{tail}",
            self.code, self.stderr
        )
    }
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            success: output.status.success(),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Workspace {
    /// A directory holding `main.tf` (prefixed with [`REQUIRED_PROVIDERS`]) and a CLI config whose
    /// `dev_overrides` point Terraform at the provider binary.
    pub fn new(terraform: &Terraform, main_tf: &str) -> Workspace {
        let dir = tempfile::Builder::new()
            .prefix("portmatrix-acc")
            .tempdir()
            .expect("temp dir");
        let provider_dir = provider_binary().parent().expect("binary has a directory");
        let cli_config = format!(
            "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_ADDRESS}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            provider_dir.display()
        );
        std::fs::write(dir.path().join(CLI_CONFIG), cli_config).expect("write CLI config");
        std::fs::write(
            dir.path().join("main.tf"),
            format!("{REQUIRED_PROVIDERS}\n{main_tf}"),
        )
        .expect("write main.tf");
        Workspace {
            dir,
            terraform: terraform.clone(),
            env: Vec::new(),
        }
    }

    /// A directory holding `files` (name, text; see [`example_files`]), initialised with `terraform init` as a
    /// user's configuration is: portmatrix from a filesystem mirror of the debug build, `hashicorp/aws` from the
    /// machine's mirror or the registry. Panics with Terraform's answer when init fails.
    pub fn installed(terraform: &Terraform, files: &[(String, String)]) -> Workspace {
        let source = PortmatrixSource::FilesystemMirror(provider_mirror());
        let workspace = Workspace::installing(terraform, files, source);
        let init = workspace.run(&["init", "-input=false", "-no-color"], &[]);
        assert!(
            init.success,
            "terraform {} init failed (portmatrix from {}, hashicorp/aws from {}):\n{}\n{}",
            terraform.version,
            provider_mirror().display(),
            aws_mirror().map_or_else(
                || "the registry: no filesystem mirror found (set PORTMATRIX_AWS_MIRROR)"
                    .to_string(),
                |p| p.display().to_string()
            ),
            init.stdout,
            init.stderr
        );
        workspace
    }

    /// A directory holding `files` and a CLI configuration that installs portmatrix from `source` and
    /// `hashicorp/aws` as [`Workspace::installed`] does, not yet initialised: the caller runs `terraform init`
    /// (or `terraform providers lock`) and judges the answer.
    pub fn installing(
        terraform: &Terraform,
        files: &[(String, String)],
        source: PortmatrixSource,
    ) -> Workspace {
        let dir = tempfile::Builder::new()
            .prefix("portmatrix-acc")
            .tempdir()
            .expect("temp dir");
        std::fs::write(dir.path().join(CLI_CONFIG), installing_cli_config(source))
            .expect("write CLI config");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write a configuration file");
        }
        Workspace {
            dir,
            terraform: terraform.clone(),
            env: Vec::new(),
        }
    }

    /// Adds `env` to the environment of every command the workspace runs (and so of the provider).
    pub fn with_env(mut self, env: &[(&str, &str)]) -> Workspace {
        self.env
            .extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self
    }

    /// The working directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `terraform ARGS` in the workspace with `env` added to a clean, offline environment.
    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.command(args, env)
            .output()
            .expect("terraform runs")
            .into()
    }

    /// The command [`Workspace::run`] runs, for a caller that starts it itself (to signal it, say).
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(&self.terraform.path);
        command
            .current_dir(self.dir.path())
            .args(args)
            .env("TF_CLI_CONFIG_FILE", self.dir.path().join(CLI_CONFIG))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PROVIDER")
            .env_remove("TF_LOG_PATH");
        for (key, value) in &self.env {
            command.env(key, value);
        }
        for (key, value) in env {
            command.env(key, value);
        }
        command
    }

    /// `terraform plan`, which must succeed; returns its output.
    pub fn plan(&self) -> Run {
        let run = self.run(&["plan", "-input=false", "-no-color"], &[]);
        assert!(
            run.success,
            "terraform {} plan failed:\n{}\n{}",
            self.terraform.version, run.stdout, run.stderr
        );
        run
    }

    /// `terraform apply` (data sources and outputs only) then `terraform output -json`.
    pub fn outputs(&self) -> serde_json::Value {
        let apply = self.run(
            &["apply", "-input=false", "-no-color", "-auto-approve"],
            &[],
        );
        assert!(
            apply.success,
            "terraform {} apply failed:\n{}\n{}",
            self.terraform.version, apply.stdout, apply.stderr
        );
        let output = self.run(&["output", "-json"], &[]);
        assert!(output.success, "terraform output failed: {}", output.stderr);
        serde_json::from_str(&output.stdout).expect("output -json is JSON")
    }

    /// `terraform plan` that must fail; returns its error text (diagnostics are printed on stderr).
    pub fn plan_error(&self) -> String {
        let run = self.run(&["plan", "-input=false", "-no-color"], &[]);
        assert!(
            !run.success,
            "terraform {} plan unexpectedly succeeded:\n{}",
            self.terraform.version, run.stdout
        );
        run.stderr
    }
}
