//! Harness for acceptance tests that drive real Terraform CLIs against the portmatrix provider.
//!
//! Every test runs against each Terraform it can find: the pinned 1.0.3 that `acceptance-tests/setup.sh`
//! installs into `.tools/bin`, and any other `terraform` on PATH (often 1.11.x). Terraform loads the freshly
//! built provider through a `dev_overrides` CLI configuration, so no `terraform init` and no registry access
//! are needed. Finding no Terraform at all is a failure, never a skip.
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
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            success: output.status.success(),
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
        std::fs::write(dir.path().join("dev.tfrc"), cli_config).expect("write CLI config");
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
        let mut command = Command::new(&self.terraform.path);
        command
            .current_dir(self.dir.path())
            .args(args)
            .env("TF_CLI_CONFIG_FILE", self.dir.path().join("dev.tfrc"))
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
        command.output().expect("terraform runs").into()
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
