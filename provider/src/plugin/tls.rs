//! AutoMTLS: our self-signed server certificate and a verifier that accepts exactly Terraform's client
//! certificate.
//!
//! Terraform generates a fresh ECDSA P-521 certificate per plugin launch, marks it as a CA and hands it to us in
//! `PLUGIN_CLIENT_CERT`. Two traps broke earlier Rust providers: webpki refuses a CA certificate as an end
//! entity (`CaUsedAsEndEntity`), and `ring` has no P-521, so Go's client silently sends no certificate and the
//! server ends up accepting anyone. We therefore pin the certificate byte for byte and still verify the
//! handshake signature with aws-lc-rs, which does have P-521.

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{aws_lc_rs, verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};
use std::sync::Arc;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// `PLUGIN_CLIENT_CERT` holds no usable PEM certificate.
    #[error("PLUGIN_CLIENT_CERT does not hold a PEM certificate: {0}")]
    ClientCert(String),
    /// Generating our own certificate failed.
    #[error("cannot generate the server certificate: {0}")]
    ServerCert(#[from] rcgen::Error),
    /// rustls rejected the configuration.
    #[error("cannot configure TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// A freshly generated self-signed server identity.
pub struct ServerIdentity {
    /// The certificate in DER, as printed in the handshake line.
    pub cert_der: CertificateDer<'static>,
    key_der: PrivatePkcs8KeyDer<'static>,
}

impl ServerIdentity {
    /// Generates an ECDSA P-256 certificate for `localhost`, shaped like go-plugin's own (CA, server and client
    /// auth), valid from a minute ago for 30 years. P-256 is the curve every Terraform's Go TLS accepts.
    pub fn generate() -> Result<Self, TlsError> {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
            KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
        };
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "portmatrix");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyAgreement,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::minutes(1);
        params.not_after = now + time::Duration::days(365 * 30);
        let cert = params.self_signed(&key)?;
        Ok(ServerIdentity {
            cert_der: cert.der().clone(),
            key_der: PrivatePkcs8KeyDer::from(key.serialize_der()),
        })
    }

    /// A rustls server configuration presenting this identity, requiring the client certificate `client_pem`,
    /// and negotiating ALPN `h2` (grpc-go 1.67+ refuses TLS servers without it).
    pub fn server_config(&self, client_pem: &str) -> Result<ServerConfig, TlsError> {
        let provider = Arc::new(aws_lc_rs::default_provider());
        let verifier = PinnedClientCert::from_pem(client_pem, provider.clone())?;
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(Arc::new(verifier))
            .with_single_cert(
                vec![self.cert_der.clone()],
                PrivateKeyDer::Pkcs8(self.key_der.clone_key()),
            )?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(config)
    }
}

/// Accepts exactly one client certificate, compared byte for byte, with real handshake-signature checks.
#[derive(Debug)]
pub struct PinnedClientCert {
    pinned: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl PinnedClientCert {
    /// Pins the first certificate of `pem`.
    pub fn from_pem(pem: &str, provider: Arc<CryptoProvider>) -> Result<Self, TlsError> {
        let pinned = CertificateDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| TlsError::ClientCert(e.to_string()))?;
        Ok(PinnedClientCert { pinned, provider })
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // No hints: Go's client then offers its only certificate, whatever its issuer.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if intermediates.is_empty() && end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificate_is_for_localhost() {
        let identity = ServerIdentity::generate().unwrap();
        assert!(identity.cert_der.len() > 200);
        let other = ServerIdentity::generate().unwrap();
        assert_ne!(
            identity.cert_der, other.cert_der,
            "each launch gets a fresh certificate"
        );
    }

    #[test]
    fn verifier_supports_p521_as_terraform_uses() {
        let provider = Arc::new(aws_lc_rs::default_provider());
        let pem = rcgen_p521_pem();
        let verifier = PinnedClientCert::from_pem(&pem, provider).unwrap();
        assert!(verifier
            .supported_verify_schemes()
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
        assert!(verifier.client_auth_mandatory());
    }

    #[test]
    fn verifier_accepts_only_the_pinned_certificate() {
        let provider = Arc::new(aws_lc_rs::default_provider());
        let pinned_pem = rcgen_p521_pem();
        let verifier = PinnedClientCert::from_pem(&pinned_pem, provider).unwrap();
        let pinned = CertificateDer::from_pem_slice(pinned_pem.as_bytes()).unwrap();
        let stranger = CertificateDer::from_pem_slice(rcgen_p521_pem().as_bytes()).unwrap();
        let now = UnixTime::now();
        assert!(verifier.verify_client_cert(&pinned, &[], now).is_ok());
        assert!(verifier.verify_client_cert(&stranger, &[], now).is_err());
        assert!(verifier
            .verify_client_cert(&pinned, std::slice::from_ref(&stranger), now)
            .is_err());
    }

    #[test]
    fn garbage_client_cert_is_an_error_not_a_panic() {
        let provider = Arc::new(aws_lc_rs::default_provider());
        assert!(matches!(
            PinnedClientCert::from_pem("not a certificate", provider),
            Err(TlsError::ClientCert(_))
        ));
    }

    fn rcgen_p521_pem() -> String {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params.self_signed(&key).unwrap().pem()
    }
}
