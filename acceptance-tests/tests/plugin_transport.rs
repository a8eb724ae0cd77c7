//! The go-plugin transport seen from a client that plays Terraform's part: launch, handshake, AutoMTLS with a
//! P-521 CA-flagged client certificate like go-plugin's, refusal of other clients, Shutdown and signals.

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
    let mut child = Command::new(provider_binary())
        .env(COOKIE.0, COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", client_cert_pem)
        .env("TF_LOG_PROVIDER", "TRACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
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
        !std::path::Path::new(&provider.socket).exists(),
        "the socket is cleaned up"
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
