//! Self-signed certificates for TLS tests, generated at run time.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A fresh self-signed certificate for `localhost` and `127.0.0.1`.
#[derive(Debug)]
pub struct SelfSigned {
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl SelfSigned {
    /// Generates a new key pair and certificate.
    ///
    /// # Panics
    ///
    /// If key generation fails (test support: a failure here is a broken environment).
    pub fn generate() -> Self {
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let certified =
            rcgen::generate_simple_self_signed(names).expect("generate a self-signed certificate");
        Self {
            cert_pem: certified.cert.pem(),
            cert_der: certified.cert.der().clone(),
            key_der: certified.signing_key.serialize_der(),
        }
    }

    /// The certificate in PEM form, as a client's extra CA file holds it.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A rustls server configuration presenting this certificate, offering
    /// the given ALPN protocols (empty for none).
    ///
    /// # Panics
    ///
    /// If rustls refuses the generated key (a broken environment).
    pub fn server_config(&self, alpn: &[&[u8]]) -> Arc<rustls::ServerConfig> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("default protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![self.cert_der.clone()], key)
            .expect("a valid certificate and key");
        config.alpn_protocols = alpn.iter().map(|proto| proto.to_vec()).collect();
        Arc::new(config)
    }
}
