//! Installing portmatrix as users do, beside `hashicorp/aws`: `terraform init` from a filesystem mirror and from a
//! provider network mirror served over HTTPS on loopback, both made of the packages `make release` writes
//! (`scripts/package-release.sh`, run here on the debug build, stripped as release builds are), the lock file,
//! `terraform providers lock`, a tampered package refused, and the README's configuration planned.
//!
//! Expected hashes are derived from the packages with the documented algorithms, not read back from Terraform:
//! `zh:` is the SHA-256 of the zip, `h1:` is Go's dirhash "Hash1" of the unpacked files (the base64 SHA-256 of
//! the lines "<sha256 of file>  <name>\n", sorted by name).

use std::collections::BTreeMap;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use portmatrix_acceptance_tests::{
    example_files, portmatrix_binary, provider_binary, repo_root, terraforms, PortmatrixSource,
    Workspace,
};
use sha2::{Digest, Sha256};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const NAME: &str = "terraform-provider-portmatrix";

fn zip_name() -> String {
    format!("{NAME}_{VERSION}_linux_amd64.zip")
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `h1:` hash Terraform records for a package holding the provider binary alone.
fn h1_of_binary(binary: &[u8]) -> String {
    let line = format!("{}  {NAME}_v{VERSION}\n", sha256_hex(binary));
    let digest = Sha256::digest(line.as_bytes());
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// `text` with every run of whitespace one space: Terraform wraps its messages at varying columns.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn run(command: &mut Command) -> String {
    let output = command.output().expect("command runs");
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The debug binaries stripped (as `make release` strips), so that packing them takes seconds, not minutes.
fn stripped_binaries() -> &'static (PathBuf, PathBuf) {
    static STRIPPED: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    STRIPPED.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("install-bin");
        fs::create_dir_all(&dir).expect("create dir");
        let provider = dir.join(NAME);
        let cli = dir.join("portmatrix");
        for (from, to) in [(provider_binary(), &provider), (portmatrix_binary(), &cli)] {
            run(Command::new("strip").arg("-o").arg(to).arg(from));
        }
        (provider, cli)
    })
}

/// Runs `scripts/package-release.sh DIST VERSION CLI linux_amd64=PROVIDER` with `env`.
fn package(dist: &Path, provider: &Path, cli: &Path, env: &[(&str, &str)]) {
    let mut command = Command::new("bash");
    command
        .arg(repo_root().join("scripts/package-release.sh"))
        .arg(dist)
        .arg(VERSION)
        .arg(cli)
        .arg(format!("linux_amd64={}", provider.display()))
        .env_remove("PORTMATRIX_GPG_KEY");
    for (key, value) in env {
        command.env(key, value);
    }
    run(&mut command);
}

/// Unsigned packages of the debug build, made once per test process for the mirror tests.
fn dist() -> &'static Path {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| {
        let dist = Path::new(env!("CARGO_TARGET_TMPDIR")).join("install-dist");
        let _ = fs::remove_dir_all(&dist);
        let (provider, cli) = stripped_binaries();
        package(&dist, provider, cli, &[("SOURCE_DATE_EPOCH", "1700000000")]);
        dist
    })
}

/// The checksums file of `dist`, as file name → hex SHA-256.
fn sums(dist: &Path, file: &str) -> BTreeMap<String, String> {
    let text = fs::read_to_string(dist.join(file)).expect("read checksums");
    text.lines()
        .map(|line| {
            let (hash, name) = line.split_once("  ").expect("sha256sum line");
            (name.to_string(), hash.to_string())
        })
        .collect()
}

/// A throwaway GPG home with one signing key; stops its gpg-agent when dropped.
struct Gpg {
    home: tempfile::TempDir,
    fingerprint: String,
}

impl Gpg {
    fn new() -> Gpg {
        let home = tempfile::Builder::new()
            .prefix("pm-gpg")
            .tempdir()
            .expect("temp dir");
        let gpg = |args: &[&str]| {
            run(Command::new("gpg")
                .env("GNUPGHOME", home.path())
                .args(["--batch", "--quiet"])
                .args(args))
        };
        gpg(&[
            "--passphrase",
            "",
            "--quick-gen-key",
            "portmatrix release test <release-test@invalid>",
            "ed25519",
            "sign",
            "never",
        ]);
        let listing = gpg(&["--list-keys", "--with-colons"]);
        let fingerprint = listing
            .lines()
            .find_map(|line| line.strip_prefix("fpr:"))
            .and_then(|rest| rest.split(':').find(|field| !field.is_empty()))
            .expect("a fingerprint")
            .to_string();
        Gpg { home, fingerprint }
    }

    fn verify(&self, signature: &Path, file: &Path) -> bool {
        Command::new("gpg")
            .env("GNUPGHOME", self.home.path())
            .args(["--batch", "--quiet", "--verify"])
            .arg(signature)
            .arg(file)
            .output()
            .expect("gpg runs")
            .status
            .success()
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "all"])
            .status();
    }
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn release_packages_have_registry_names_signed_checksums_and_reproducible_zips() {
    let gpg = Gpg::new();
    let work = tempfile::tempdir().expect("temp dir");
    let (provider, cli) = stripped_binaries();
    let epoch = ("SOURCE_DATE_EPOCH", "1700000000");
    let key = ("PORTMATRIX_GPG_KEY", gpg.fingerprint.as_str());
    let gnupg = gpg.home.path().to_str().expect("utf-8 path").to_string();
    let first = work.path().join("first");
    package(&first, provider, cli, &[epoch, key, ("GNUPGHOME", &gnupg)]);

    let provider_files = [
        format!("{NAME}_{VERSION}_SHA256SUMS"),
        format!("{NAME}_{VERSION}_SHA256SUMS.sig"),
        zip_name(),
        format!("{NAME}_{VERSION}_manifest.json"),
    ];
    let cli_files = [
        format!("portmatrix_{VERSION}_SHA256SUMS"),
        format!("portmatrix_{VERSION}_SHA256SUMS.sig"),
        format!("portmatrix_{VERSION}_linux_amd64.zip"),
    ];
    let mut expected: Vec<String> = ["completions", "man"].map(String::from).to_vec();
    expected.extend(cli_files.iter().cloned());
    expected.extend(provider_files.iter().cloned());
    expected.sort();
    assert_eq!(file_names(&first), expected);

    // The Registry's manifest: plugin protocol 6.0.
    let manifest: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(first.join(&provider_files[3])).expect("manifest"),
    )
    .expect("manifest is JSON");
    assert_eq!(
        manifest,
        serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
    );

    // The provider zip holds exactly the binary under its Registry name, executable; the checksums cover the zip
    // and the manifest, and their signatures verify.
    let listing = run(Command::new("unzip").arg("-Z").arg(first.join(zip_name())));
    let entries: Vec<&str> = listing
        .lines()
        .filter(|line| line.starts_with('-'))
        .collect();
    assert_eq!(entries.len(), 1, "{listing}");
    assert!(entries[0].starts_with("-rwxr-xr-x"), "{listing}");
    assert!(
        entries[0].ends_with(&format!(" {NAME}_v{VERSION}")),
        "{listing}"
    );
    let provider_sums = sums(&first, &provider_files[0]);
    assert_eq!(
        provider_sums.keys().cloned().collect::<Vec<_>>(),
        vec![zip_name(), provider_files[3].clone()]
    );
    for (name, hash) in &provider_sums {
        assert_eq!(
            &sha256_hex(&fs::read(first.join(name)).expect("read")),
            hash,
            "{name}"
        );
    }
    for sums_file in [&provider_files[0], &cli_files[0]] {
        let signature = first.join(format!("{sums_file}.sig"));
        assert!(
            gpg.verify(&signature, &first.join(sums_file)),
            "{sums_file}"
        );
        let mut forged = fs::read(first.join(sums_file)).expect("read");
        forged[0] ^= 1;
        fs::write(work.path().join("forged"), forged).expect("write");
        assert!(!gpg.verify(&signature, &work.path().join("forged")));
    }

    // The CLI zip: the binary, its man pages and completions, generated from the clap definitions.
    let cli_zip = first.join(&cli_files[2]);
    let cli_entries = run(Command::new("unzip").arg("-Z1").arg(&cli_zip));
    for entry in [
        "portmatrix",
        "man/portmatrix.1",
        "man/portmatrix-expand.1",
        "completions/portmatrix.bash",
        "completions/_portmatrix",
        "completions/portmatrix.fish",
    ] {
        assert!(
            cli_entries.lines().any(|l| l == entry),
            "{entry} missing:\n{cli_entries}"
        );
    }
    let page = fs::read_to_string(first.join("man/portmatrix.1")).expect("man page");
    assert!(page.contains(".TH portmatrix 1"), "{page}");
    assert!(page.contains("catalog"), "{page}");

    // Packed again from copies with other mtimes, under another umask: byte-identical zips and checksums.
    let copies = work.path().join("copies");
    fs::create_dir_all(&copies).expect("create dir");
    for binary in [provider, cli] {
        let copy = copies.join(binary.file_name().expect("file name"));
        fs::copy(binary, &copy).expect("copy");
        run(Command::new("touch")
            .args(["-d", "2001-02-03 04:05:06"])
            .arg(&copy));
    }
    let second = work.path().join("second");
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg("umask 077 && exec bash \"$0\" \"$@\"")
        .arg(repo_root().join("scripts/package-release.sh"))
        .arg(&second)
        .arg(VERSION)
        .arg(copies.join("portmatrix"))
        .arg(format!("linux_amd64={}", copies.join(NAME).display()))
        .env(epoch.0, epoch.1)
        .env_remove("PORTMATRIX_GPG_KEY");
    run(&mut command);
    for file in [
        &provider_files[0],
        &provider_files[2],
        &provider_files[3],
        &cli_files[0],
        &cli_files[2],
    ] {
        assert_eq!(
            fs::read(first.join(file)).expect("read"),
            fs::read(second.join(file)).expect("read"),
            "{file} differs between two packagings"
        );
    }
}

/// `terraform ARGS` in `workspace`: whether it succeeded, and stdout and stderr together.
fn terraform_run(workspace: &Workspace, args: &[&str]) -> (bool, String) {
    let run = workspace.run(args, &[]);
    (run.success, format!("{}\n{}", run.stdout, run.stderr))
}

fn must(workspace: &Workspace, args: &[&str]) -> String {
    let (ok, text) = terraform_run(workspace, args);
    assert!(ok, "terraform {args:?} failed:\n{text}");
    text
}

/// The hashes the lock file records for portmatrix, after checking that it pins this version.
fn locked_portmatrix_hashes(workspace: &Workspace) -> Vec<String> {
    let lock = fs::read_to_string(workspace.path().join(".terraform.lock.hcl")).expect("lock file");
    let block = lock
        .split("provider \"")
        .find(|block| block.starts_with("registry.terraform.io/portmatrix/portmatrix\""))
        .unwrap_or_else(|| panic!("portmatrix missing from the lock file:\n{lock}"));
    assert!(
        block.contains(&format!("version = \"{VERSION}\"")),
        "{block}"
    );
    block
        .lines()
        .map(|line| line.trim().trim_end_matches(',').trim_matches('"'))
        .filter(|line| line.starts_with("h1:") || line.starts_with("zh:"))
        .map(str::to_string)
        .collect()
}

/// The cloud example with a provider block for a plan without AWS: fake credentials, no API calls.
fn aws_example() -> Vec<(String, String)> {
    let mut files = example_files("examples/aws-kubernetes-cluster");
    files.push((
        "provider.tf".into(),
        r#"provider "aws" {
  region                      = "eu-central-1"
  access_key                  = "AKIAEXAMPLEEXAMPLE00"
  secret_key                  = "not-a-secret"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}
"#
        .into(),
    ));
    files.push((
        "terraform.tfvars".into(),
        "vpc_id = \"vpc-0123456789abcdef0\"\napi_client_cidrs = [\"203.0.113.0/24\"]\n".into(),
    ));
    files
}

/// A plan of the AWS example creates the three tier groups and their rules from portmatrix's data source.
fn assert_plans_aws_example(workspace: &Workspace) {
    let plan = must(workspace, &["plan", "-input=false", "-no-color"]);
    for tier in ["master", "worker", "lb"] {
        assert!(
            plan.contains(&format!(
                "aws_security_group.tier[\"{tier}\"] will be created"
            )),
            "{plan}"
        );
    }
    assert!(
        plan.contains("aws_vpc_security_group_ingress_rule.cluster[\"")
            && flat(&plan).contains("from_port = 6443"),
        "{plan}"
    );
    assert!(plan.contains("Plan: "), "{plan}");
}

fn packed_mirror(root: &Path) {
    let dir = root.join("registry.terraform.io/portmatrix/portmatrix");
    fs::create_dir_all(&dir).expect("create dir");
    fs::copy(dist().join(zip_name()), dir.join(zip_name())).expect("copy zip");
}

#[test]
fn filesystem_mirror_of_the_release_installs_beside_aws_and_refuses_a_tampered_zip() {
    let mirror = tempfile::tempdir().expect("temp dir");
    packed_mirror(mirror.path());
    let source = PortmatrixSource::FilesystemMirror(mirror.path());
    let expected_h1 = h1_of_binary(&fs::read(&stripped_binaries().0).expect("read binary"));
    let example = aws_example();
    for terraform in terraforms() {
        let install = Workspace::installing(terraform, &example, source);
        let init = must(&install, &["init", "-input=false", "-no-color"]);
        assert!(
            init.contains(&format!("Installed portmatrix/portmatrix v{VERSION}")),
            "{init}"
        );
        assert!(init.contains("Installed hashicorp/aws v5.100.0"), "{init}");
        assert_eq!(
            locked_portmatrix_hashes(&install),
            vec![expected_h1.clone()]
        );
        assert_plans_aws_example(&install);

        // A zip whose binary differs from the one locked: init of a fresh checkout with the lock file refuses it.
        let tampered = tempfile::tempdir().expect("temp dir");
        let dir = tampered
            .path()
            .join("registry.terraform.io/portmatrix/portmatrix");
        fs::create_dir_all(&dir).expect("create dir");
        let mut binary = fs::read(&stripped_binaries().0).expect("read binary");
        binary.extend_from_slice(b"tampered");
        let staged = tampered.path().join(format!("{NAME}_v{VERSION}"));
        fs::write(&staged, binary).expect("write");
        run(Command::new("zip")
            .current_dir(tampered.path())
            .args(["-q", "-X"])
            .arg(dir.join(zip_name()))
            .arg(staged.file_name().expect("name")));
        let mut files = example.clone();
        let lock = fs::read_to_string(install.path().join(".terraform.lock.hcl")).expect("lock");
        files.push((".terraform.lock.hcl".into(), lock));
        let tampered_source = PortmatrixSource::FilesystemMirror(tampered.path());
        let refused = Workspace::installing(terraform, &files, tampered_source);
        let (ok, text) = terraform_run(&refused, &["init", "-input=false", "-no-color"]);
        assert!(
            !ok,
            "terraform {} installed a tampered zip:\n{text}",
            terraform.version
        );
        assert!(
            flat(&text).contains("doesn't match any of the checksums previously recorded"),
            "{text}"
        );
    }
}

/// A provider network mirror (Terraform's documented protocol) served over HTTPS on loopback with a certificate
/// from a CA made for the test; Terraform trusts that CA through SSL_CERT_FILE. Stops when dropped.
struct NetworkMirror {
    root: tempfile::TempDir,
    address: SocketAddr,
    ca_file: PathBuf,
    _runtime: tokio::runtime::Runtime,
}

impl NetworkMirror {
    /// Serves the release zip with `index.json` and `VERSION.json` listing its `zh:` hash from the SHA256SUMS.
    fn start() -> NetworkMirror {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root
            .path()
            .join("registry.terraform.io/portmatrix/portmatrix");
        fs::create_dir_all(&dir).expect("create dir");
        fs::copy(dist().join(zip_name()), dir.join(zip_name())).expect("copy zip");
        let zh = &sums(dist(), &format!("{NAME}_{VERSION}_SHA256SUMS"))[&zip_name()];
        let index = serde_json::json!({ "versions": { VERSION: {} } });
        let archives = serde_json::json!({
            "archives": { "linux_amd64": { "url": zip_name(), "hashes": [format!("zh:{zh}")] } }
        });
        fs::write(dir.join("index.json"), index.to_string()).expect("write");
        fs::write(dir.join(format!("{VERSION}.json")), archives.to_string()).expect("write");

        let (ca_pem, tls) = test_pki();
        let ca_file = root.path().join("ca.pem");
        fs::write(&ca_file, ca_pem).expect("write CA");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind loopback");
        let address = listener.local_addr().expect("address");
        let files = root.path().to_path_buf();
        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let files = files.clone();
                tokio::spawn(async move {
                    let Ok(stream) = acceptor.accept(stream).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |request| {
                        let files = files.clone();
                        async move { Ok::<_, std::convert::Infallible>(serve_file(&files, request)) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        NetworkMirror {
            root,
            address,
            ca_file,
            _runtime: runtime,
        }
    }

    fn url(&self) -> String {
        format!("https://{}/", self.address)
    }

    fn zip(&self) -> PathBuf {
        self.root
            .path()
            .join("registry.terraform.io/portmatrix/portmatrix")
            .join(zip_name())
    }
}

/// GET of a file under `root` (no `..`), or 404.
fn serve_file(
    root: &Path,
    request: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    let path = request.uri().path().trim_start_matches('/');
    let found = (request.method() == hyper::Method::GET
        && !path.split('/').any(|part| part == ".."))
    .then(|| fs::read(root.join(path)).ok())
    .flatten();
    let (status, body) = match found {
        Some(body) => (hyper::StatusCode::OK, body),
        None => (hyper::StatusCode::NOT_FOUND, b"not found".to_vec()),
    };
    // Terraform requires a media type on the JSON documents.
    let content_type = if path.ends_with(".json") {
        "application/json"
    } else if path.ends_with(".zip") {
        "application/zip"
    } else {
        "text/plain"
    };
    let mut response = hyper::Response::new(http_body_util::Full::new(bytes::Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    response
}

/// A CA certificate (PEM) and a server TLS configuration for 127.0.0.1 signed by it.
fn test_pki() -> (String, Arc<rustls::ServerConfig>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "portmatrix test mirror CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().expect("server key");
    let server_params = CertificateParams::new(vec!["127.0.0.1".to_string()]).expect("params");
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .expect("server certificate");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![server_cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
        )
        .expect("server TLS configuration");
    (ca_cert.pem(), Arc::new(config))
}

#[test]
fn network_mirror_over_https_installs_locks_and_refuses_a_tampered_zip() {
    let mirror = NetworkMirror::start();
    let url = mirror.url();
    let source = PortmatrixSource::NetworkMirror(&url);
    let ca = mirror.ca_file.display().to_string();
    let trust = [("SSL_CERT_FILE", ca.as_str())];
    let expected_h1 = h1_of_binary(&fs::read(&stripped_binaries().0).expect("read binary"));
    let example = aws_example();
    for terraform in terraforms() {
        let install = Workspace::installing(terraform, &example, source).with_env(&trust);
        let init = must(&install, &["init", "-input=false", "-no-color"]);
        assert!(
            init.contains(&format!(
                "Installed portmatrix/portmatrix v{VERSION} (verified checksum)"
            )),
            "{init}"
        );
        assert_eq!(
            locked_portmatrix_hashes(&install),
            vec![expected_h1.clone()]
        );
        assert_plans_aws_example(&install);

        // `terraform providers lock` against the mirror writes the same hash into a fresh lock file, and an init
        // that follows it succeeds.
        let locked = Workspace::installing(terraform, &example, source).with_env(&trust);
        let net_mirror = format!("-net-mirror={url}");
        must(
            &locked,
            &[
                "providers",
                "lock",
                "-no-color",
                &net_mirror,
                "-platform=linux_amd64",
                "registry.terraform.io/portmatrix/portmatrix",
            ],
        );
        assert_eq!(locked_portmatrix_hashes(&locked), vec![expected_h1.clone()]);
        must(&locked, &["init", "-input=false", "-no-color"]);
    }

    // The mirror now serves a zip that does not match the zh: hash it lists: init refuses it.
    let mut zip = fs::read(mirror.zip()).expect("read zip");
    zip.extend_from_slice(b"tampered");
    fs::write(mirror.zip(), zip).expect("write zip");
    for terraform in terraforms() {
        let refused = Workspace::installing(terraform, &example, source).with_env(&trust);
        let (ok, text) = terraform_run(&refused, &["init", "-input=false", "-no-color"]);
        assert!(
            !ok,
            "terraform {} installed a tampered zip:\n{text}",
            terraform.version
        );
        assert!(
            flat(&text).contains("doesn't match the expected checksum"),
            "{text}"
        );
    }
}

/// The README's configuration (the first ```hcl block), planned as written with both providers installed from
/// the filesystem mirror; only the AWS credentials are supplied, in an override file.
#[test]
fn readme_configuration_plans() {
    let readme = fs::read_to_string(repo_root().join("README.md")).expect("README");
    let start = readme.find("```hcl\n").expect("README has an hcl block") + "```hcl\n".len();
    let snippet = &readme[start..start + readme[start..].find("```").expect("block ends")];
    let mirror = tempfile::tempdir().expect("temp dir");
    packed_mirror(mirror.path());
    let credentials = r#"provider "aws" {
  access_key                  = "AKIAEXAMPLEEXAMPLE00"
  secret_key                  = "not-a-secret"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}
"#;
    let files = [
        ("main.tf", snippet),
        ("credentials_override.tf", credentials),
        ("terraform.tfvars", "vpc_id = \"vpc-0123456789abcdef0\"\n"),
    ]
    .map(|(name, text)| (name.to_string(), text.to_string()));
    for terraform in terraforms() {
        let source = PortmatrixSource::FilesystemMirror(mirror.path());
        let install = Workspace::installing(terraform, &files, source);
        must(&install, &["init", "-input=false", "-no-color"]);
        let plan = must(&install, &["plan", "-input=false", "-no-color"]);
        for tier in ["master", "worker"] {
            assert!(
                plan.contains(&format!(
                    "aws_security_group.tier[\"{tier}\"] will be created"
                )),
                "{plan}"
            );
        }
        // The snippet's endpoints: an IPv6 range and a prefix list, each becoming its own rule.
        let flat_plan = flat(&plan);
        assert!(
            flat_plan.contains("cidr_ipv6 = \"2001:db8::/56\""),
            "{plan}"
        );
        assert!(
            flat_plan.contains("prefix_list_id = \"pl-0123456789abcdef0\""),
            "{plan}"
        );
        assert!(flat_plan.contains("from_port = 6443"), "{plan}");
    }
}
