//! Qwiet's outgoing webhooks: the sandbox posts signed `scan.finished`
//! events to a receiver, so that webhook integrations can be tested offline.
//!
//! What Qwiet documents about its deliveries: a `POST` whose headers carry
//! `X-SL-Signature` (an HMAC signature written `v1=<hex>`), `X-SL-Timestamp`
//! (Unix seconds), `X-SL-Webhook-Delivery-ID` (a UUID per attempt) and
//! `X-SL-Event` (the event name, such as `scan.finished`).
//!
//! What it does not document, so the sandbox assumes it: the signature is
//! HMAC-SHA256 of the raw request body keyed with the webhook's secret, hex
//! encoded; and the body is a JSON object naming the event, the organization,
//! the app and the scan (`event`, `org_id`, `app_id`, `scan_id`, `scan`).

use std::fmt;
use std::io;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::net::TcpStream;

/// Header carrying the delivery's signature, `v1=<hex>`.
pub const SIGNATURE_HEADER: &str = "X-SL-Signature";
/// Header carrying the delivery's Unix time in seconds.
pub const TIMESTAMP_HEADER: &str = "X-SL-Timestamp";
/// Header carrying a UUID unique to the delivery attempt.
pub const DELIVERY_ID_HEADER: &str = "X-SL-Webhook-Delivery-ID";
/// Header carrying the event name.
pub const EVENT_HEADER: &str = "X-SL-Event";
/// The event Qwiet sends when a scan of an app completes.
pub const SCAN_FINISHED: &str = "scan.finished";

/// Where the sandbox delivers webhooks, and how it signs them.
///
/// `Debug` never shows the secret.
#[derive(Clone)]
pub struct Webhook {
    url: String,
    secret: Option<String>,
}

impl Webhook {
    /// Deliveries to `url` (plain `http://`), signed with `secret`.
    pub fn signed(url: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            secret: Some(secret.into()),
        }
    }

    /// Deliveries to `url` without any `X-SL-Signature` header, as a forger
    /// would send them.
    pub fn unsigned(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            secret: None,
        }
    }

    /// The receiver's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.url)
            .field("signed", &self.secret.is_some())
            .finish()
    }
}

/// What the receiver answered to one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// The receiver's HTTP status.
    pub status: u16,
    /// The `X-SL-Webhook-Delivery-ID` sent.
    pub delivery_id: String,
    /// The receiver's response body, as text.
    pub body: String,
}

/// The `X-SL-Signature` value for `body`: `v1=` and the hex HMAC-SHA256 of
/// the raw body keyed with `secret` (the scheme the sandbox assumes).
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("v1={hex}")
}

/// The body of a `scan.finished` event for `scan` (a Qwiet `Scan` object).
pub(crate) fn scan_finished_body(org_id: &str, app_id: &str, scan: &Value) -> Vec<u8> {
    let body = json!({
        "event": SCAN_FINISHED,
        "org_id": org_id,
        "app_id": app_id,
        "scan_id": scan.get("id").cloned().unwrap_or(Value::Null),
        "scan": scan,
    });
    serde_json::to_vec(&body).expect("a JSON value serializes")
}

/// Posts one event to the webhook's receiver and reads its answer.
pub(crate) async fn deliver(
    webhook: &Webhook,
    event: &str,
    body: Vec<u8>,
    delivery_id: String,
) -> io::Result<WebhookDelivery> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidInput, what.to_string());
    let url = url::Url::parse(&webhook.url).map_err(|_| invalid("the webhook URL is not a URL"))?;
    if url.scheme() != "http" {
        return Err(invalid(
            "the sandbox delivers webhooks over plain http only",
        ));
    }
    let host = url
        .host_str()
        .ok_or_else(|| invalid("the webhook URL has no host"))?
        .to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let stream = TcpStream::connect((host.as_str(), port)).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(io::Error::other)?;
    tokio::spawn(connection);

    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let mut request = hyper::Request::post(path)
        .header(hyper::header::HOST, format!("{host}:{port}"))
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(TIMESTAMP_HEADER, chrono::Utc::now().timestamp().to_string())
        .header(DELIVERY_ID_HEADER, delivery_id.as_str())
        .header(EVENT_HEADER, event);
    if let Some(secret) = &webhook.secret {
        request = request.header(SIGNATURE_HEADER, signature(secret.as_bytes(), &body));
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(io::Error::other)?;
    let response = sender
        .send_request(request)
        .await
        .map_err(io::Error::other)?;
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(io::Error::other)?
        .to_bytes();
    Ok(WebhookDelivery {
        status,
        delivery_id,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "v1=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
