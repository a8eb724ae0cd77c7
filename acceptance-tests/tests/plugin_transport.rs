//! The go-plugin transport seen from a client that plays Terraform's part: launch, handshake, AutoMTLS with a
//! P-521 CA-flagged client certificate like go-plugin's, refusal of other clients, Shutdown and signals, and
//! the process's conduct under faults: stalled clients, descriptor exhaustion, signals and a vanished parent.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;
use portmatrix_acceptance_tests::provider_binary;
use portmatrix_proto::plugin::grpc_controller_client::GrpcControllerClient;
use portmatrix_proto::tfplugin6::provider_client::ProviderClient;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{aws_lc_rs, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const COOKIE: (&str, &str) = (
    "TF_PLUGIN_MAGIC_COOKIE",
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
);

/// A client identity shaped like the one go-plugin generates: ECDSA P-521, self-signed, marked as a CA.
struct ClientIdentity {
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

fn go_plugin_like_identity() -> ClientIdentity {
    use rcgen::{
        BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ClientAuth,
        ExtendedKeyUsagePurpose::ServerAuth,
    ];
    let cert = params.self_signed(&key).unwrap();
    ClientIdentity {
        cert_pem: cert.pem(),
        cert_der: cert.der().clone(),
        key_der: key.serialize_der(),
    }
}

/// A running provider and what its handshake line said.
struct Launched {
    child: Child,
    socket: String,
    server_cert: Vec<u8>,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Launched {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn launch(client_cert_pem: &str) -> Launched {
    launch_with(client_cert_pem, |_| {})
}

/// Launches the provider as Terraform does; `configure` may adjust the command before it starts.
fn launch_with(client_cert_pem: &str, configure: impl FnOnce(&mut Command)) -> Launched {
    let mut command = Command::new(provider_binary());
    command
        .env(COOKIE.0, COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", client_cert_pem)
        .env("TF_LOG_PROVIDER", "TRACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    configure(&mut command);
    let mut child = command.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line: {line:?}");
    assert_eq!(&fields[..3], ["1", "6", "unix"], "{line:?}");
    assert_eq!(fields[4], "grpc");
    let server_cert = STANDARD_NO_PAD
        .decode(fields[5])
        .expect("unpadded standard base64 DER");
    Launched {
        child,
        socket: fields[3].to_string(),
        server_cert,
        stdout,
    }
}

/// Trusts exactly the certificate from the handshake line, as go-plugin's client does.
#[derive(Debug)]
struct PinnedServer(Vec<u8>);

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.0.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "not the handshake certificate".into(),
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &aws_lc_rs::default_provider().signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &aws_lc_rs::default_provider().signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        aws_lc_rs::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn client_config(server_cert: &[u8], identity: Option<&ClientIdentity>) -> Arc<ClientConfig> {
    let builder = ClientConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer(server_cert.to_vec())));
    let mut config = match identity {
        Some(id) => builder
            .with_client_auth_cert(
                vec![id.cert_der.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key_der.clone())),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

async fn channel(
    socket: &str,
    config: Arc<ClientConfig>,
) -> Result<tonic::transport::Channel, tonic::transport::Error> {
    let socket = socket.to_string();
    tonic::transport::Endpoint::try_from("http://localhost")
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect_with_connector(tower::service_fn(move |_: tonic::transport::Uri| {
            let socket = socket.clone();
            let connector = tokio_rustls::TlsConnector::from(config.clone());
            async move {
                let stream = tokio::net::UnixStream::connect(socket).await?;
                let name = ServerName::try_from("localhost").map_err(std::io::Error::other)?;
                let tls = connector.connect(name, stream).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(tls))
            }
        }))
        .await
}

fn wait_for_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[tokio::test]
async fn pinned_client_is_served_and_shutdown_ends_the_process() {
    let identity = go_plugin_like_identity();
    let mut provider = launch(&identity.cert_pem);
    let channel = channel(
        &provider.socket,
        client_config(&provider.server_cert, Some(&identity)),
    )
    .await
    .expect("the pinned client connects");

    let schema = ProviderClient::new(channel.clone())
        .get_provider_schema(portmatrix_proto::tfplugin6::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema over mTLS")
        .into_inner();
    assert!(schema
        .data_source_schemas
        .contains_key("portmatrix_catalog"));
    assert!(
        schema
            .server_capabilities
            .unwrap()
            .get_provider_schema_optional
    );

    let started = Instant::now();
    GrpcControllerClient::new(channel)
        .shutdown(portmatrix_proto::plugin::Empty {})
        .await
        .expect("Shutdown is answered before the process ends");
    let status = wait_for_exit(&mut provider.child, Duration::from_secs(2))
        .expect("the provider exits within Terraform's 2 s grace period");
    assert!(status.success(), "{status}");
    eprintln!("exited {:?} after Shutdown", started.elapsed());
    assert!(
        !Path::new(&provider.socket).parent().unwrap().exists(),
        "the socket and its directory are cleaned up"
    );
    let mut rest = String::new();
    provider.stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(
        rest, "",
        "nothing but the handshake line ever reaches stdout"
    );
}

#[tokio::test]
async fn health_reports_plugin_serving_and_stop_provider_answers() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{health_client::HealthClient, HealthCheckRequest};
    let identity = go_plugin_like_identity();
    let provider = launch(&identity.cert_pem);
    let channel = channel(
        &provider.socket,
        client_config(&provider.server_cert, Some(&identity)),
    )
    .await
    .expect("the pinned client connects");
    let health = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .expect("go-plugin's health service is registered")
        .into_inner();
    assert_eq!(health.status, ServingStatus::Serving as i32);
    let stopped = ProviderClient::new(channel)
        .stop_provider(portmatrix_proto::tfplugin6::stop_provider::Request {})
        .await
        .expect("StopProvider is implemented")
        .into_inner();
    assert_eq!(stopped.error, "", "an empty error means stopped");
}

#[tokio::test]
async fn a_client_with_another_certificate_is_refused() {
    let pinned = go_plugin_like_identity();
    let stranger = go_plugin_like_identity();
    let mut provider = launch(&pinned.cert_pem);
    let attempt = async {
        let channel = channel(
            &provider.socket,
            client_config(&provider.server_cert, Some(&stranger)),
        )
        .await?;
        ProviderClient::new(channel)
            .get_provider_schema(portmatrix_proto::tfplugin6::get_provider_schema::Request {})
            .await
            .map_err(|status| -> Box<dyn std::error::Error> { status.into() })?;
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    assert!(
        attempt.await.is_err(),
        "a client presenting another certificate must be refused"
    );
    assert!(
        provider.child.try_wait().unwrap().is_none(),
        "a refused client does not stop the provider"
    );
}

#[tokio::test]
async fn a_client_without_certificate_is_refused() {
    let pinned = go_plugin_like_identity();
    let provider = launch(&pinned.cert_pem);
    let attempt = async {
        let channel = channel(&provider.socket, client_config(&provider.server_cert, None)).await?;
        ProviderClient::new(channel)
            .get_provider_schema(portmatrix_proto::tfplugin6::get_provider_schema::Request {})
            .await
            .map_err(|status| -> Box<dyn std::error::Error> { status.into() })?;
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    assert!(
        attempt.await.is_err(),
        "a client without a certificate must be refused"
    );
}

#[tokio::test]
async fn tls_negotiates_alpn_h2() {
    let identity = go_plugin_like_identity();
    let provider = launch(&identity.cert_pem);
    let stream = tokio::net::UnixStream::connect(&provider.socket)
        .await
        .unwrap();
    let connector =
        tokio_rustls::TlsConnector::from(client_config(&provider.server_cert, Some(&identity)));
    let tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), stream)
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
}

#[tokio::test]
async fn sigint_is_ignored_like_go_plugin_servers() {
    let identity = go_plugin_like_identity();
    let mut provider = launch(&identity.cert_pem);
    let status = Command::new("kill")
        .args(["-INT", &provider.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        provider.child.try_wait().unwrap().is_none(),
        "SIGINT must not end the provider"
    );
    let channel = channel(
        &provider.socket,
        client_config(&provider.server_cert, Some(&identity)),
    )
    .await
    .expect("still serving after SIGINT");
    ProviderClient::new(channel)
        .get_metadata(portmatrix_proto::tfplugin6::get_metadata::Request {})
        .await
        .expect("RPCs still work after SIGINT");
}

#[test]
fn run_by_hand_it_explains_itself_and_exits_1() {
    let output = Command::new(provider_binary()).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("This binary is a plugin"), "{stderr}");
}

#[test]
fn a_terraform_without_protocol_6_gets_a_clear_error() {
    let output = Command::new(provider_binary())
        .env(COOKIE.0, COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("speaks only version 6"), "{stderr}");
}

/// Sends `signal` (a name such as `TERM`) to process `pid`.
fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {pid}");
}

/// The entries left in `dir`.
fn entries(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect()
}

#[test]
fn a_client_that_never_starts_tls_is_dropped_after_the_handshake_timeout() {
    let identity = go_plugin_like_identity();
    let provider = launch(&identity.cert_pem);
    let mut silent = std::os::unix::net::UnixStream::connect(&provider.socket).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 1];
    let read = silent.read(&mut buffer);
    let waited = started.elapsed();
    assert!(
        matches!(read, Ok(0)),
        "the server closes a connection that never starts the TLS handshake; got {read:?} after {waited:?}"
    );
    // go-plugin's client completes the handshake in milliseconds; the provider allows 10 s.
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(15),
        "closed after {waited:?}"
    );
    eprintln!("a silent connection was closed after {waited:?}");
}

/// CPU seconds (user + system) process `pid` has used.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the whole line.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    let hz = Command::new("getconf").arg("CLK_TCK").output().unwrap();
    let hz: f64 = String::from_utf8(hz.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    ticks as f64 / hz
}

#[tokio::test]
async fn running_out_of_descriptors_neither_spins_nor_floods_the_log() {
    let identity = go_plugin_like_identity();
    let logs = tempfile::tempdir().unwrap();
    let log_path = logs.path().join("stderr");
    let log = std::fs::File::create(&log_path).unwrap();
    // Terraform's default: warnings only, the level at which accept failures are reported.
    let provider = launch_with(&identity.cert_pem, |command| {
        command
            .env_remove("TF_LOG_PROVIDER")
            .env_remove("TF_LOG")
            .stderr(log);
    });
    let pid = provider.child.id();
    // Leave room for a few accepted connections, then run out.
    let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count();
    let limit = open + 8;
    let status = Command::new("prlimit")
        .args([format!("--pid={pid}"), format!("--nofile={limit}:{limit}")])
        .status()
        .expect("prlimit (util-linux) runs");
    assert!(status.success());

    let cpu_before = cpu_seconds(pid);
    let log_before = std::fs::metadata(&log_path).unwrap().len();
    let held: Vec<_> = (0..40)
        .map(|_| std::os::unix::net::UnixStream::connect(&provider.socket).unwrap())
        .collect();
    std::thread::sleep(Duration::from_secs(3));
    let cpu = cpu_seconds(pid) - cpu_before;
    let logged = std::fs::metadata(&log_path).unwrap().len() - log_before;
    eprintln!(
        "3 s out of descriptors ({open} open, limit {limit}): {cpu:.2} CPU s, {logged} log bytes"
    );
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        text.contains("Too many open files"),
        "the failure is reported: {text}"
    );
    assert!(
        logged < 4096,
        "at most one warning a second: {logged} bytes in 3 s"
    );
    assert!(
        cpu < 0.3,
        "the accept loop backs off: {cpu:.2} CPU s in 3 s"
    );

    drop(held);
    let served = tokio::time::timeout(Duration::from_secs(10), async {
        let channel = channel(
            &provider.socket,
            client_config(&provider.server_cert, Some(&identity)),
        )
        .await?;
        ProviderClient::new(channel)
            .get_metadata(portmatrix_proto::tfplugin6::get_metadata::Request {})
            .await
            .map_err(|status| -> Box<dyn std::error::Error> { status.into() })?;
        Ok::<_, Box<dyn std::error::Error>>(())
    })
    .await;
    assert!(
        matches!(served, Ok(Ok(()))),
        "serving again once descriptors are free: {served:?}"
    );
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        text.contains("accepting connections again"),
        "the recovery is logged with the failure count: {text}"
    );
}

#[test]
fn the_socket_and_its_directory_are_private() {
    let identity = go_plugin_like_identity();
    let provider = launch(&identity.cert_pem);
    let socket = Path::new(&provider.socket);
    let dir_mode = std::fs::metadata(socket.parent().unwrap())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o777, 0o700, "directory mode {dir_mode:o}");
    let socket_mode = std::fs::metadata(socket).unwrap().permissions().mode();
    assert_eq!(socket_mode & 0o077, 0, "socket mode {socket_mode:o}");
}

#[test]
fn sigterm_and_sighup_stop_the_provider_and_remove_its_directory() {
    let identity = go_plugin_like_identity();
    for signal in ["TERM", "HUP"] {
        let sockets = tempfile::tempdir().unwrap();
        let mut provider = launch_with(&identity.cert_pem, |command| {
            command.env("PLUGIN_UNIX_SOCKET_DIR", sockets.path());
        });
        assert!(provider
            .socket
            .starts_with(sockets.path().to_str().unwrap()));
        let started = Instant::now();
        send_signal(provider.child.id(), signal);
        let status = wait_for_exit(&mut provider.child, Duration::from_secs(2))
            .unwrap_or_else(|| panic!("SIG{signal} ends the provider within 2 s"));
        eprintln!("SIG{signal}: exited {status} after {:?}", started.elapsed());
        assert!(status.success(), "SIG{signal}: {status}");
        assert_eq!(
            entries(sockets.path()),
            Vec::<std::path::PathBuf>::new(),
            "SIG{signal} leaves the socket directory behind"
        );
    }
}

#[test]
fn ctrl_c_stops_a_debug_provider_and_removes_its_directory() {
    let sockets = tempfile::tempdir().unwrap();
    let mut child = Command::new(provider_binary())
        .arg("--debug")
        .env("PLUGIN_UNIX_SOCKET_DIR", sockets.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("TF_REATTACH_PROVIDERS=") {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "debug mode prints the reattach variable"
        );
    }
    assert_eq!(entries(sockets.path()).len(), 1, "one socket directory");
    let started = Instant::now();
    send_signal(child.id(), "INT");
    let status = wait_for_exit(&mut child, Duration::from_secs(2));
    if status.is_none() {
        let _ = child.kill();
    }
    let status = status.expect("Ctrl-C ends a debug provider within 2 s");
    eprintln!(
        "debug SIGINT: exited {status} after {:?}",
        started.elapsed()
    );
    assert!(status.success(), "{status}");
    assert_eq!(entries(sockets.path()), Vec::<std::path::PathBuf>::new());
}

#[test]
fn a_provider_that_cannot_start_leaves_no_directory() {
    let sockets = tempfile::tempdir().unwrap();
    let output = Command::new(provider_binary())
        .env(COOKIE.0, COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_CLIENT_CERT", "not a certificate")
        .env("PLUGIN_UNIX_SOCKET_DIR", sockets.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "no handshake is announced");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PLUGIN_CLIENT_CERT"), "{stderr}");
    assert_eq!(entries(sockets.path()), Vec::<std::path::PathBuf>::new());
}

/// The state letter of process `pid` (`Z` for a zombie), or `None` once it is gone.
fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Kills a process by id when dropped, so that a provider that outlives its test does not linger.
struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if process_state(self.0).is_some_and(|state| state != 'Z') {
            let _ = Command::new("kill")
                .args(["-KILL", &self.0.to_string()])
                .status();
        }
    }
}

#[test]
fn an_orphaned_provider_exits_and_removes_its_directory() {
    let identity = go_plugin_like_identity();
    let sockets = tempfile::tempdir().unwrap();
    // A stand-in for Terraform: a shell that launches the provider and waits for it, killed without warning.
    let mut parent = Command::new("sh")
        .args(["-c", "\"$0\" & echo \"$!\"; wait"])
        .arg(provider_binary())
        .env(COOKIE.0, COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", &identity.cert_pem)
        .env("PLUGIN_UNIX_SOCKET_DIR", sockets.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(parent.stdout.take().unwrap());
    let (mut pid, mut handshake) = (None, None);
    while pid.is_none() || handshake.is_none() {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "{pid:?} {handshake:?}"
        );
        match line.trim().parse::<u32>() {
            Ok(number) => pid = Some(number),
            Err(_) => handshake = Some(line),
        }
    }
    let pid = pid.unwrap();
    let _cleanup = KillOnDrop(pid);
    assert!(handshake.unwrap().starts_with("1|6|unix|"));
    assert_eq!(entries(sockets.path()).len(), 1);

    // Terraform dies mid-run, not during the launch: the provider has long settled into serving by then.
    std::thread::sleep(Duration::from_millis(1500));
    parent.kill().unwrap();
    parent.wait().unwrap();
    let started = Instant::now();
    while process_state(pid).is_some_and(|state| state != 'Z') {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the orphaned provider still runs {:?} after its parent was killed",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "orphaned provider exited {:?} after its parent was killed",
        started.elapsed()
    );
    assert_eq!(entries(sockets.path()), Vec::<std::path::PathBuf>::new());
}
