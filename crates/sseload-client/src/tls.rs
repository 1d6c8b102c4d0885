//! TLS with rustls: the ring provider, webpki roots plus extra CAs, and an
//! explicit verifier that accepts any certificate for self-signed targets.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::client::HttpVersion;
use crate::error::Error;

/// The trusted roots being collected.
pub(crate) struct Roots(RootCertStore);

impl Roots {
    /// The Mozilla roots shipped by webpki-roots.
    pub(crate) fn webpki() -> Self {
        Self(RootCertStore::from_iter(
            webpki_roots::TLS_SERVER_ROOTS.iter().cloned(),
        ))
    }

    /// Adds every certificate of a PEM file.
    pub(crate) fn add_file(&mut self, path: &Path) -> Result<(), Error> {
        let pem = std::fs::read(path).map_err(|err| ca_error(Some(path), err.to_string()))?;
        self.add_pem(&pem, Some(path))
    }

    /// Adds every certificate of PEM bytes (`path` names their file in errors).
    pub(crate) fn add_pem(&mut self, pem: &[u8], path: Option<&Path>) -> Result<(), Error> {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|err| ca_error(path, format!("invalid PEM: {err}")))?;
            self.0
                .add(cert)
                .map_err(|err| ca_error(path, format!("unusable certificate: {err}")))?;
            added += 1;
        }
        if added == 0 {
            return Err(ca_error(path, "no certificate found".to_owned()));
        }
        Ok(())
    }
}

fn ca_error(path: Option<&Path>, reason: String) -> Error {
    Error::CaFile {
        path: path.unwrap_or(Path::new("<PEM bytes>")).to_path_buf(),
        reason,
    }
}

/// The client configuration shared by every connection of a client.
pub(crate) fn client_config(
    roots: Roots,
    accept_invalid: bool,
    http: HttpVersion,
) -> Result<Arc<rustls::ClientConfig>, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|err| Error::TlsConfig(err.to_string()))?;
    let mut config = if accept_invalid {
        let verifier = AcceptAnyCertificate(provider.signature_verification_algorithms);
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth()
    } else {
        builder
            .with_root_certificates(roots.0)
            .with_no_client_auth()
    };
    config.alpn_protocols = match http {
        HttpVersion::Http1 => vec![b"http/1.1".to_vec()],
        HttpVersion::Http2PriorKnowledge => vec![b"h2".to_vec()],
        HttpVersion::Auto => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
    };
    Ok(Arc::new(config))
}

/// Accepts any certificate chain, but still checks the handshake signatures
/// (so the peer must hold the key of the certificate it shows).
#[derive(Debug)]
struct AcceptAnyCertificate(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}
