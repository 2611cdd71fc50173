//! The TLS implementation behind every client, chosen by this crate's
//! features (`rustls-ring` by default, `rustls-aws-lc`, `native-tls`).

/// Makes the crypto provider the features chose the process default, so
/// that `reqwest::Client::builder().build()` can set up TLS.
///
/// Only the `rustls-ring` choice needs this: reqwest falls back to aws-lc
/// by itself, and native-tls has no provider. Building an SDK client calls
/// it; call it yourself before building your own `reqwest::Client` (for
/// `ClientBuilder::http_client`) or it panics for want of a provider. A
/// provider someone installed already is kept. With both rustls features
/// on, aws-lc is used and nothing is installed.
///
/// ```
/// appsec_runtime::tls::install_crypto_provider();
/// let http = reqwest::Client::builder().build()?;
/// # Ok::<(), reqwest::Error>(())
/// ```
pub fn install_crypto_provider() {
    #[cfg(all(feature = "rustls-ring", not(feature = "rustls-aws-lc")))]
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Fails only when another thread installed one first, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
