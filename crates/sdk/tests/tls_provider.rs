//! The default TLS choice, rustls with the ring provider, works without the
//! user installing anything: building a client installs ring. One test in
//! its own binary, because the provider is global to the process.

#![cfg(all(feature = "rustls-ring", not(feature = "rustls-aws-lc")))]

use appsec_sdk::JiraClient;
use rustls::crypto::CryptoProvider;

#[test]
fn building_a_client_installs_the_ring_provider() {
    assert!(
        CryptoProvider::get_default().is_none(),
        "nothing installed yet"
    );
    // Without a provider, reqwest panics here.
    JiraClient::builder("https://your-domain.atlassian.net")
        .basic_auth("you@example.com", "api-token")
        .build()
        .expect("client builds");
    let provider = CryptoProvider::get_default().expect("a provider is installed");
    assert!(
        format!("{provider:?}").contains("key_provider: Ring"),
        "ring is the provider: {provider:?}"
    );
    // Installing again keeps it, and a user's own reqwest client builds.
    appsec_sdk::tls::install_crypto_provider();
    reqwest::Client::builder().build().expect("reqwest builds");
}
