//! The AWS SDK configuration every part of the API loads: the functions and
//! the local server on DynamoDB. It reads the standard settings
//! (`AWS_REGION`, `AWS_ENDPOINT_URL`, credentials, proxies) with two
//! choices made for cold starts, each measured by `make bench`
//! (docs/performance.md#what-a-cold-start-does):
//! - credentials straight from the environment when it holds them, as it
//!   always does on Lambda: the SDK's default chain would first build every
//!   other provider, web identity's STS client and its TLS set-up included;
//! - TLS trust in the five Amazon Trust Services roots, compiled in, which
//!   the certificate of every AWS endpoint chains to, instead of parsing the
//!   system's hundred and more roots at every start. `AWS_CA_BUNDLE` (the
//!   AWS SDKs' setting) names a PEM bundle to trust instead: a local
//!   endpoint's CA, or a proxy's.
//!
//! It also holds the time limits that every AWS client is bounded by
//! ([`Limits`]).

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

mod amazon_trust_services;
mod limits;

pub use limits::Limits;

const AMAZON_TRUST_SERVICES: &[u8] = amazon_trust_services::AMAZON_TRUST_SERVICES.as_bytes();

/// `AWS_CA_BUNDLE` names a bundle of roots that cannot be trusted as it is.
#[derive(Debug, thiserror::Error)]
#[error("AWS_CA_BUNDLE ({path}): {reason}")]
pub struct CaBundleError {
    pub path: std::path::PathBuf,
    pub reason: &'static str,
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// `ca_bundle`: `AWS_CA_BUNDLE` (`crate::config::Settings::aws_ca_bundle`).
pub async fn load(ca_bundle: Option<&std::path::Path>) -> Result<SdkConfig, CaBundleError> {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).http_client(https_client(trusted_roots(ca_bundle)?));
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_some_and(|key| !key.is_empty()) {
        loader = loader.credentials_provider(aws_config::environment::EnvironmentVariableCredentialsProvider::new());
    }
    Ok(loader.load().await)
}

/// The SDK's default HTTPS client (aws-smithy-runtime's
/// `default_https_client`), trusting `roots` only. It is built the way
/// that function builds it, through `build_with_connector_fn` (public but
/// hidden from the docs): the public builders drop its proxy settings.
fn https_client(roots: Vec<u8>) -> aws_types::sdk_config::SharedHttpClient {
    let trust = TrustStore::empty().with_native_roots(false).with_pem_certificate(roots);
    let context = TlsContext::builder().with_trust_store(trust).build().expect("a TLS context builds");
    Builder::new().build_with_connector_fn(move |settings, components| {
        let mut connector = ConnectorBuilder::default()
            .tls_provider(tls::Provider::rustls(CryptoMode::AwsLc))
            .tls_context(context.clone());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// The PEM roots to trust: `AWS_CA_BUNDLE`'s, or Amazon's.
fn trusted_roots(ca_bundle: Option<&std::path::Path>) -> Result<Vec<u8>, CaBundleError> {
    match ca_bundle {
        None => Ok(AMAZON_TRUST_SERVICES.to_vec()),
        Some(path) => read_bundle(path),
    }
}

/// A PEM bundle of roots, checked here: the SDK panics on a certificate
/// it cannot parse.
fn read_bundle(path: &std::path::Path) -> Result<Vec<u8>, CaBundleError> {
    let refuse = |reason: &'static str, source: Option<Box<dyn std::error::Error + Send + Sync>>| CaBundleError {
        path: path.to_owned(),
        reason,
        source,
    };
    let pem = std::fs::read(path).map_err(|e| refuse("cannot be read", Some(e.into())))?;
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(&pem) {
        let certificate = certificate.map_err(|e| refuse("not a PEM bundle", Some(e.into())))?;
        roots.add(certificate).map_err(|e| refuse("a certificate cannot be a root", Some(e.into())))?;
    }
    if roots.is_empty() {
        return Err(refuse("holds no certificate", None));
    }
    Ok(pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(name: &str, content: &[u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("estate-{}-{name}.pem", std::process::id()));
        std::fs::write(&path, content).unwrap();
        path
    }

    #[test]
    fn the_compiled_in_roots_are_amazons_five() {
        let roots: Vec<_> = CertificateDer::pem_slice_iter(AMAZON_TRUST_SERVICES).collect::<Result<_, _>>().unwrap();
        let mut store = rustls::RootCertStore::empty();
        assert_eq!(store.add_parsable_certificates(roots), (5, 0));
    }

    #[test]
    fn a_bundle_of_roots_is_trusted_as_it_is() {
        let path = bundle("good", AMAZON_TRUST_SERVICES);
        assert_eq!(read_bundle(&path).unwrap(), AMAZON_TRUST_SERVICES);
    }

    #[test]
    fn a_bundle_that_holds_no_usable_root_names_the_setting() {
        let damaged = String::from_utf8(AMAZON_TRUST_SERVICES.to_vec()).unwrap().replacen("MII", "MIX", 1);
        let cases: [(&str, &[u8], &str); 4] = [
            ("empty", b"", "holds no certificate"),
            ("text", b"not a certificate at all", "holds no certificate"),
            ("damaged", damaged.as_bytes(), "a certificate cannot be a root"),
            ("truncated", &AMAZON_TRUST_SERVICES[..200], "not a PEM bundle"),
        ];
        for (name, content, why) in cases {
            let error = read_bundle(&bundle(name, content)).unwrap_err().to_string();
            assert!(error.starts_with("AWS_CA_BUNDLE (") && error.contains(why), "{name}: {error}");
        }
        let missing = read_bundle(std::path::Path::new("/nonexistent/bundle.pem")).unwrap_err().to_string();
        assert!(missing.contains("/nonexistent/bundle.pem"), "{missing}");
    }
}
