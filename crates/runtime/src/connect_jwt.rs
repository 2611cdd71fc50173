//! Atlassian Connect JWT: signing the requests a Connect app sends to Jira and
//! verifying the requests Jira sends to the app.
//!
//! Connect binds each token to one request through the `qsh` claim, a SHA-256
//! of a canonical form of the method, path and query. Both sides must build
//! that form byte for byte the way Atlassian's reference library does, or
//! every request fails with a 401, so the rules below follow it closely.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use reqwest::Url;
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

use crate::Secret;

type HmacSha256 = Hmac<Sha256>;

/// The only algorithm Connect uses for shared-secret tokens; anything else in
/// a header is either a misconfiguration or an algorithm-confusion attempt.
const ALGORITHM: &str = "HS256";

/// Atlassian Connect's default and recommended token lifetime.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(180);

/// Clock skew tolerated between Jira and this process.
const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

/// RFC 3986 unreserved characters stay literal; everything else is escaped.
/// This matches Java's `URLEncoder` after Atlassian's `+`/`*`/`~` fix-ups.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Builds the `METHOD&path&query` string that the `qsh` claim hashes.
///
/// The path is taken relative to `base_url` because Jira signs and checks
/// paths without its context path (`/wiki` for Confluence, `/jira` on some
/// servers). Query parameters are decoded, regrouped and re-encoded so that
/// two spellings of the same query hash identically; the `jwt` parameter is
/// left out because it cannot sign itself.
///
/// ```
/// use appsec_runtime::connect_jwt::canonical_request;
/// use reqwest::Url;
///
/// let base = Url::parse("https://example.atlassian.net/wiki")?;
/// let url = Url::parse(
///     "https://example.atlassian.net/wiki/rest/api/content/?limit=10&expand=a+b&jwt=x",
/// )?;
/// assert_eq!(
///     canonical_request("get", &url, &base),
///     "GET&/rest/api/content&expand=a%20b&limit=10"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn canonical_request(method: &str, url: &Url, base_url: &Url) -> String {
    let mut out = String::with_capacity(16 + url.as_str().len() * 2);
    out.extend(method.chars().map(|c| c.to_ascii_uppercase()));
    out.push('&');
    push_canonical_path(&mut out, url, base_url);
    out.push('&');
    push_canonical_query(&mut out, url.query().unwrap_or(""));
    out
}

/// The `qsh` claim value: lowercase hex SHA-256 of [`canonical_request`].
pub fn query_string_hash(method: &str, url: &Url, base_url: &Url) -> String {
    let mut out = String::with_capacity(64);
    push_query_string_hash(&mut out, method, url, base_url);
    out
}

/// Appends the `qsh` hex digest to `out`.
fn push_query_string_hash(out: &mut String, method: &str, url: &Url, base_url: &Url) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(canonical_request(method, url, base_url).as_bytes());
    for b in digest {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0x0f)] as char);
    }
}

fn push_canonical_path(out: &mut String, url: &Url, base_url: &Url) {
    let full = url.path();
    let context = base_url.path().trim_end_matches('/');
    // Whole segments only: a `/wiki` context must not eat `/wikipedia`.
    let relative = match full.strip_prefix(context) {
        Some(rest) if !context.is_empty() && (rest.is_empty() || rest.starts_with('/')) => rest,
        _ => full,
    };
    let relative = relative.strip_suffix('/').unwrap_or(relative);
    if !relative.starts_with('/') {
        out.push('/');
    }
    // `&` separates the three parts, so a literal one in the path would let
    // `/a&b=c` and `/a?b=c` share a hash.
    for (i, piece) in relative.split('&').enumerate() {
        if i > 0 {
            out.push_str("%26");
        }
        out.push_str(piece);
    }
}

fn push_canonical_query(out: &mut String, raw: &str) {
    // Sorted by the encoded name: that is the order Atlassian specifies, and
    // encoding is injective so distinct names stay distinct. Values of one
    // name are joined with commas in Java's String.compareTo order (UTF-16
    // code units), which differs from Rust's byte order outside the BMP.
    let mut params: Vec<(Cow<'_, str>, Cow<'_, str>)> = raw
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .map(|(name, value)| (form_decode(name), value))
        .filter(|(name, _)| name != "jwt")
        .map(|(name, value)| (encode_name(name), form_decode(value)))
        .collect();
    params.sort_by(|(a, x), (b, y)| {
        a.cmp(b)
            .then_with(|| x.encode_utf16().cmp(y.encode_utf16()))
    });
    let mut previous: Option<&str> = None;
    for (name, value) in &params {
        if previous == Some(name) {
            out.push(',');
        } else {
            if previous.is_some() {
                out.push('&');
            }
            out.push_str(name);
            out.push('=');
            previous = Some(name);
        }
        out.extend(encode(value));
    }
}

/// A decoded parameter name, encoded again; borrows when nothing changes.
fn encode_name(name: Cow<'_, str>) -> Cow<'_, str> {
    match name {
        Cow::Borrowed(name) => Cow::from(encode(name)),
        Cow::Owned(name) => Cow::Owned(encode(&name).to_string()),
    }
}

/// Decodes like a servlet container reads query parameters: `+` is a space.
/// Borrows when there is nothing to decode.
fn form_decode(raw: &str) -> Cow<'_, str> {
    if !raw.contains(['+', '%']) {
        return Cow::Borrowed(raw);
    }
    let spaced = raw.replace('+', " ");
    Cow::Owned(percent_decode_str(&spaced).decode_utf8_lossy().into_owned())
}

fn encode(value: &str) -> percent_encoding::PercentEncode<'_> {
    utf8_percent_encode(value, UNRESERVED)
}

/// The claims of a Connect JWT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// App key when the app signs; the tenant's client key when Jira signs.
    pub iss: String,
    /// Issued-at, seconds since the Unix epoch.
    pub iat: i64,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// Hash binding the token to one request; see [`query_string_hash`].
    pub qsh: String,
    /// Client key of the tenant the token is meant for.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "string_or_single_item_list"
    )]
    pub aud: Option<String>,
    /// Account the request acts for, when Jira includes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
}

/// RFC 7519 allows `aud` as a string or a list; accept a one-item list so a
/// token from another issuer is not rejected as malformed for that alone.
fn string_or_single_item_list<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Audience {
        One(String),
        Many(Vec<String>),
    }
    match Option::<Audience>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Audience::One(aud)) => Ok(Some(aud)),
        Some(Audience::Many(mut list)) if list.len() <= 1 => Ok(list.pop()),
        Some(Audience::Many(_)) => Err(serde::de::Error::custom(
            "more than one audience is not supported",
        )),
    }
}

/// Signs requests from a Connect app to the Atlassian product.
///
/// Connect tokens cover a single request (method, path and query), so a new
/// token is signed for each call rather than cached.
///
/// ```
/// use appsec_runtime::Secret;
/// use appsec_runtime::connect_jwt::{Signer, Verifier};
/// use reqwest::Url;
///
/// let base = Url::parse("https://example.atlassian.net")?;
/// let url = Url::parse("https://example.atlassian.net/rest/api/3/search?jql=project%3DAPP")?;
///
/// let signer = Signer::new("com.example.app", Secret::new("shared-secret"))
///     .with_client_key("tenant-client-key");
/// let header = signer.authorization_header("GET", &url, &base);
/// assert!(header.expose().starts_with("JWT "));
///
/// let token = signer.sign("GET", &url, &base);
/// let claims = Verifier::new(Secret::new("shared-secret"))
///     .with_issuer("com.example.app")
///     .verify(token.expose(), "GET", &url, &base)?;
/// assert_eq!(claims.aud.as_deref(), Some("tenant-client-key"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Signer {
    app_key: String,
    shared_secret: Secret,
    client_key: Option<String>,
    lifetime: Duration,
    /// What every token repeats, prepared once: the keyed HMAC state and
    /// the JSON of the fixed claims.
    prepared: std::sync::Arc<Prepared>,
}

/// The parts of a token that do not change between requests.
#[derive(Clone)]
struct Prepared {
    /// HMAC-SHA256 with the shared secret already absorbed. It is as good as
    /// the secret, so it is never printed.
    mac: HmacSha256,
    /// `{"iss":"<app key>",` as JSON.
    iss_json: String,
    /// `,"aud":"<client key>"` as JSON, or empty.
    aud_json: String,
}

impl Prepared {
    fn new(shared_secret: &Secret, app_key: &str, client_key: Option<&str>) -> Self {
        let json = |value: &str| serde_json::to_string(value).expect("a string always serialises");
        Prepared {
            mac: mac(shared_secret),
            iss_json: format!(r#"{{"iss":{},"#, json(app_key)),
            aud_json: client_key.map_or_else(String::new, |aud| format!(r#","aud":{}"#, json(aud))),
        }
    }
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prepared(***)")
    }
}

/// Every token this module signs has the same header,
/// `{"alg":"HS256","typ":"JWT"}`, so its base64url form is a constant.
const HEADER_B64: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

impl Signer {
    /// A signer for `app_key` (the `key` of the app descriptor) using the
    /// `sharedSecret` received in the `installed` lifecycle callback.
    pub fn new(app_key: impl Into<String>, shared_secret: Secret) -> Self {
        let app_key = app_key.into();
        Self {
            prepared: Prepared::new(&shared_secret, &app_key, None).into(),
            app_key,
            shared_secret,
            client_key: None,
            lifetime: DEFAULT_LIFETIME,
        }
    }

    /// Puts the tenant's client key in `aud`, so the token names its target.
    pub fn with_client_key(mut self, client_key: impl Into<String>) -> Self {
        let client_key = client_key.into();
        self.prepared = Prepared::new(&self.shared_secret, &self.app_key, Some(&client_key)).into();
        self.client_key = Some(client_key);
        self
    }

    /// Overrides the 180-second default lifetime.
    pub fn with_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// True when the shared secret is empty: such tokens are forgeable by
    /// anyone, so callers should refuse to sign with one.
    pub fn shared_secret_is_empty(&self) -> bool {
        self.shared_secret.is_empty()
    }

    /// The claims a token for this request would carry at `now_unix`.
    pub fn claims_at(&self, method: &str, url: &Url, base_url: &Url, now_unix: i64) -> Claims {
        Claims {
            iss: self.app_key.clone(),
            iat: now_unix,
            exp: now_unix.saturating_add(duration_secs(self.lifetime)),
            qsh: query_string_hash(method, url, base_url),
            aud: self.client_key.clone(),
            sub: None,
        }
    }

    /// A compact HS256 token for this request, issued at `now_unix`.
    pub fn sign_at(&self, method: &str, url: &Url, base_url: &Url, now_unix: i64) -> Secret {
        Secret::new(self.token_with_prefix("", method, url, base_url, now_unix))
    }

    /// A token for this request, issued now.
    pub fn sign(&self, method: &str, url: &Url, base_url: &Url) -> Secret {
        self.sign_at(method, url, base_url, now_unix())
    }

    /// The `Authorization` header value, `JWT <token>`, for this request.
    pub fn authorization_header(&self, method: &str, url: &Url, base_url: &Url) -> Secret {
        Secret::new(self.token_with_prefix("JWT ", method, url, base_url, now_unix()))
    }

    /// `prefix` followed by the token, built in one buffer: the claims are
    /// written as JSON directly (the same bytes serde would produce for
    /// [`Claims`]) and base64-encoded in place.
    pub(crate) fn token_with_prefix(
        &self,
        prefix: &str,
        method: &str,
        url: &Url,
        base_url: &Url,
        now_unix: i64,
    ) -> String {
        use std::fmt::Write as _;
        let prepared = &self.prepared;
        let mut claims =
            String::with_capacity(prepared.iss_json.len() + prepared.aud_json.len() + 128);
        claims.push_str(&prepared.iss_json);
        let exp = now_unix.saturating_add(duration_secs(self.lifetime));
        let _ = write!(claims, r#""iat":{now_unix},"exp":{exp},"qsh":""#);
        push_query_string_hash(&mut claims, method, url, base_url);
        claims.push('"');
        claims.push_str(&prepared.aud_json);
        claims.push('}');

        let claims_b64 = claims.len().div_ceil(3) * 4;
        let mut out = String::with_capacity(prefix.len() + HEADER_B64.len() + claims_b64 + 46);
        out.push_str(prefix);
        out.push_str(HEADER_B64);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(claims.as_bytes(), &mut out);
        let signature = prepared
            .mac
            .clone()
            .chain_update(&out.as_bytes()[prefix.len()..])
            .finalize()
            .into_bytes();
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut out);
        out
    }
}

/// Why a Connect JWT was rejected.
///
/// Messages describe the failure only; they never quote the token or the
/// shared secret, so they are safe to log and to return to callers.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// Not three base64url parts with JSON header and claims.
    #[error("malformed Connect JWT: {0}")]
    Malformed(String),
    /// The header names an algorithm other than HS256.
    #[error("Connect JWT algorithm {0:?} is not accepted; only HS256 is")]
    UnsupportedAlgorithm(String),
    /// The signature was not made with the shared secret.
    #[error("Connect JWT signature does not match the shared secret")]
    BadSignature,
    /// `exp` plus the leeway is in the past.
    #[error("Connect JWT expired at {exp} (now {now})")]
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The time the check used.
        now: i64,
    },
    /// `iat` minus the leeway is in the future.
    #[error("Connect JWT is issued at {iat}, in the future (now {now})")]
    NotYetValid {
        /// The token's `iat`.
        iat: i64,
        /// The time the check used.
        now: i64,
    },
    /// The issuer is not the one configured with [`Verifier::with_issuer`].
    #[error("Connect JWT issuer {found:?} is not the expected {expected:?}")]
    WrongIssuer {
        /// The configured issuer.
        expected: String,
        /// The token's `iss`.
        found: String,
    },
    /// The token was signed for a different request.
    #[error("Connect JWT was signed for another request: qsh {found} (expected {expected})")]
    QshMismatch {
        /// Hash of the request being verified.
        expected: String,
        /// The token's `qsh`.
        found: String,
    },
}

/// Verifies HS256 Connect JWTs that Jira sends to the app.
///
/// Strict on purpose: only HS256, a signature made with the shared secret,
/// a `qsh` matching the request actually received (the `context-qsh`
/// shortcut is refused), and `iat`/`exp` within the leeway.
#[derive(Debug, Clone)]
pub struct Verifier {
    shared_secret: Secret,
    leeway: Duration,
    expected_issuer: Option<String>,
}

impl Verifier {
    /// A verifier for tokens signed with the tenant's shared secret.
    pub fn new(shared_secret: Secret) -> Self {
        Self {
            shared_secret,
            leeway: DEFAULT_LEEWAY,
            expected_issuer: None,
        }
    }

    /// Overrides the 30-second clock-skew allowance.
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Requires `iss` to equal `issuer` (the tenant's client key).
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.expected_issuer = Some(issuer.into());
        self
    }

    /// Verifies `token` for the request `method url` as of `now_unix`.
    ///
    /// `token` is the bare compact JWT, without a `JWT ` prefix.
    pub fn verify_at(
        &self,
        token: &str,
        method: &str,
        url: &Url,
        base_url: &Url,
        now_unix: i64,
    ) -> Result<Claims, VerifyError> {
        let parts: Vec<&str> = token.split('.').collect();
        let [header_b64, claims_b64, signature_b64] = parts[..] else {
            return Err(malformed(format!(
                "expected 3 dot-separated parts, found {}",
                parts.len()
            )));
        };
        let header = decode_part(header_b64, "header")?;
        let claims_bytes = decode_part(claims_b64, "claims")?;
        let signature = decode_part(signature_b64, "signature")?;
        let algorithm = parse_algorithm(&header)?;
        let claims = parse_claims(&claims_bytes)?;

        if algorithm != ALGORITHM {
            return Err(VerifyError::UnsupportedAlgorithm(algorithm));
        }

        let signing_input = &token[..header_b64.len() + 1 + claims_b64.len()];
        mac(&self.shared_secret)
            .chain_update(signing_input.as_bytes())
            .verify_slice(&signature)
            .map_err(|_| VerifyError::BadSignature)?;

        let leeway = duration_secs(self.leeway);
        if claims.exp.saturating_add(leeway) < now_unix {
            return Err(VerifyError::Expired {
                exp: claims.exp,
                now: now_unix,
            });
        }
        if claims.iat.saturating_sub(leeway) > now_unix {
            return Err(VerifyError::NotYetValid {
                iat: claims.iat,
                now: now_unix,
            });
        }
        if let Some(expected) = &self.expected_issuer
            && claims.iss != *expected
        {
            return Err(VerifyError::WrongIssuer {
                expected: expected.clone(),
                found: claims.iss,
            });
        }
        let expected_qsh = query_string_hash(method, url, base_url);
        if claims.qsh != expected_qsh {
            return Err(VerifyError::QshMismatch {
                expected: expected_qsh,
                found: claims.qsh,
            });
        }
        Ok(claims)
    }

    /// Verifies `token` for the request `method url` as of now.
    pub fn verify(
        &self,
        token: &str,
        method: &str,
        url: &Url,
        base_url: &Url,
    ) -> Result<Claims, VerifyError> {
        self.verify_at(token, method, url, base_url, now_unix())
    }
}

fn malformed(reason: impl Into<String>) -> VerifyError {
    VerifyError::Malformed(reason.into())
}

fn decode_part(part: &str, what: &str) -> Result<Vec<u8>, VerifyError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| malformed(format!("{what} is not unpadded base64url")))
}

fn parse_algorithm(header: &[u8]) -> Result<String, VerifyError> {
    #[derive(Deserialize)]
    struct Header {
        alg: Option<serde_json::Value>,
    }
    let header: Header =
        serde_json::from_slice(header).map_err(|_| malformed("header is not a JSON object"))?;
    match header.alg {
        Some(serde_json::Value::String(alg)) => Ok(alg),
        Some(_) => Err(malformed("header `alg` is not a string")),
        None => Err(malformed("header has no `alg`")),
    }
}

/// Reports which claim is missing or mistyped without echoing claim values
/// (serde_json's messages would quote them).
fn parse_claims(bytes: &[u8]) -> Result<Claims, VerifyError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|_| malformed("claims are not JSON"))?;
    let object = value
        .as_object()
        .ok_or_else(|| malformed("claims are not a JSON object"))?;
    for name in ["iss", "iat", "exp", "qsh"] {
        if !object.contains_key(name) {
            return Err(malformed(format!("claims have no `{name}`")));
        }
    }
    serde_json::from_value(value).map_err(|_| {
        malformed(
            "claims have the wrong types (iss, qsh, sub: strings; iat, exp: integers; \
             aud: string)",
        )
    })
}

fn mac(secret: &Secret) -> HmacSha256 {
    HmacSha256::new_from_slice(secret.expose().as_bytes()).expect("HMAC accepts keys of any length")
}

fn duration_secs(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, duration_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER_JSON: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    const SITE: &str = "https://example.atlassian.net";

    #[test]
    fn canonical_request_table() {
        // (method, url, base, expected)
        let cases: &[(&str, &str, &str, &str)] = &[
            (
                "GET",
                "https://example.atlassian.net/rest/api/3/myself",
                SITE,
                "GET&/rest/api/3/myself&",
            ),
            (
                "get",
                "https://example.atlassian.net/rest/api/3/myself",
                SITE,
                "GET&/rest/api/3/myself&",
            ),
            ("delete", "https://h/x?", "https://h", "DELETE&/x&"),
            (
                "GET",
                "https://h/p?b=2&a=1&a=0",
                "https://h",
                "GET&/p&a=0,1&b=2",
            ),
            ("GET", "https://h/p?a=&b", "https://h", "GET&/p&a=&b="),
            ("GET", "https://h/p?&&a=1&", "https://h", "GET&/p&a=1"),
            (
                "GET",
                "https://h/p?q=%C3%A9t%C3%A9",
                "https://h",
                "GET&/p&q=%C3%A9t%C3%A9",
            ),
            // Unescaped non-ASCII in the input is escaped by the URL parser
            // and must come out the same.
            (
                "GET",
                "https://h/p?q=été",
                "https://h",
                "GET&/p&q=%C3%A9t%C3%A9",
            ),
            // `+` is a space; `%2B` is a plus.
            (
                "GET",
                "https://h/p?t=1+%2B+1",
                "https://h",
                "GET&/p&t=1%20%2B%201",
            ),
            ("GET", "https://h/p?s=a%20b", "https://h", "GET&/p&s=a%20b"),
            ("GET", "https://h/p?q=a*", "https://h", "GET&/p&q=a%2A"),
            (
                "GET",
                "https://h/p?ids=1,2",
                "https://h",
                "GET&/p&ids=1%2C2",
            ),
            (
                "GET",
                "https://h/p?v=x%26y%3Dz",
                "https://h",
                "GET&/p&v=x%26y%3Dz",
            ),
            ("GET", "https://h/p?v=~a%7Eb", "https://h", "GET&/p&v=~a~b"),
            ("GET", "https://h/p?v=-._", "https://h", "GET&/p&v=-._"),
            (
                "GET",
                "https://h/p?v=%2f%3a",
                "https://h",
                "GET&/p&v=%2F%3A",
            ),
            // Names are decoded and re-encoded too.
            ("GET", "https://h/p?a%5fb=1", "https://h", "GET&/p&a_b=1"),
            ("GET", "https://h/p?a+b=1", "https://h", "GET&/p&a%20b=1"),
            (
                "GET",
                "https://h/p?x=1&jwt=abc.def.ghi",
                "https://h",
                "GET&/p&x=1",
            ),
            ("GET", "https://h/p?jwt=abc", "https://h", "GET&/p&"),
            ("GET", "https://h/p?JWT=abc", "https://h", "GET&/p&JWT=abc"),
            // Upper case sorts before lower case (ASCII order of encoded names).
            (
                "GET",
                "https://h/p?b=b&a=a&B=B&A=A",
                "https://h",
                "GET&/p&A=A&B=B&a=a&b=b",
            ),
            (
                "GET",
                "https://h/p?a10=1&a1=2",
                "https://h",
                "GET&/p&a1=2&a10=1",
            ),
            // Context path stripped by whole segments only.
            (
                "GET",
                "https://h/wiki/rest/api/content",
                "https://h/wiki",
                "GET&/rest/api/content&",
            ),
            (
                "GET",
                "https://h/wiki/rest/api/content",
                "https://h/wiki/",
                "GET&/rest/api/content&",
            ),
            ("GET", "https://h/wiki", "https://h/wiki", "GET&/&"),
            ("GET", "https://h/wiki/", "https://h/wiki", "GET&/&"),
            (
                "GET",
                "https://h/wikipedia/x",
                "https://h/wiki",
                "GET&/wikipedia/x&",
            ),
            ("GET", "https://h/rest/x", "https://h/wiki", "GET&/rest/x&"),
            ("GET", "https://h/", "https://h", "GET&/&"),
            ("GET", "https://h", "https://h/", "GET&/&"),
            // Trailing slash dropped.
            (
                "GET",
                "https://h/rest/api/3/issue/",
                "https://h",
                "GET&/rest/api/3/issue&",
            ),
            // `&` in the path is escaped; other path bytes stay as sent.
            ("GET", "https://h/a&b", "https://h", "GET&/a%26b&"),
            ("GET", "https://h/a%20b/%2f", "https://h", "GET&/a%20b/%2f&"),
        ];
        for (method, input, base, expected) in cases {
            assert_eq!(
                canonical_request(method, &url(input), &url(base)),
                *expected,
                "{method} {input} (base {base})"
            );
        }
    }

    #[test]
    fn values_sort_by_utf16_code_units() {
        // U+1F600 is the surrogate pair D83D DE00, below U+FF61 in UTF-16,
        // though its UTF-8 bytes (F0 ..) sort after U+FF61's (EF ..).
        let input = url("https://h/p?q=%EF%BD%A1&q=%F0%9F%98%80");
        assert_eq!(
            canonical_request("GET", &input, &url("https://h")),
            "GET&/p&q=%F0%9F%98%80,%EF%BD%A1"
        );
        let mut bytewise = ["\u{FF61}", "\u{1F600}"];
        bytewise.sort();
        assert_eq!(bytewise, ["\u{FF61}", "\u{1F600}"]);
    }

    #[test]
    fn values_sort_before_encoding() {
        // Decoded, "+" (0x2B) sorts after "%20" (0x25); encoded, "%2B" would
        // sort before "%2520".
        let input = url("https://h/p?c=%2B&c=%2520&c=+&c=");
        assert_eq!(
            canonical_request("GET", &input, &url("https://h")),
            "GET&/p&c=,%20,%2520,%2B"
        );
    }

    #[test]
    fn comma_in_raw_value_is_data() {
        let input = url(
            "https://example.atlassian.net/rest/api/2/issue?fields=summary,description&expand=names",
        );
        assert_eq!(
            canonical_request("POST", &input, &url(SITE)),
            "POST&/rest/api/2/issue&expand=names&fields=summary%2Cdescription"
        );
    }

    #[test]
    fn qsh_is_lowercase_sha256_hex() {
        let hash = query_string_hash("GET", &url("https://h/test?param=value"), &url("https://h"));
        // Atlassian's interoperability vector for `GET&/test&param=value`.
        assert_eq!(
            hash,
            "be16910858a41fd19ea5c1b4e9decca9a784d1024cb00b2158defe2f29dc86dd"
        );
    }

    #[test]
    fn signer_builds_expected_claims() {
        let signer = Signer::new("app", Secret::new("s"))
            .with_client_key("client")
            .with_lifetime(Duration::from_secs(60));
        let u = url("https://h/p?a=1");
        let claims = signer.claims_at("GET", &u, &url("https://h"), 1_000);
        assert_eq!(
            claims,
            Claims {
                iss: "app".into(),
                iat: 1_000,
                exp: 1_060,
                qsh: query_string_hash("GET", &u, &url("https://h")),
                aud: Some("client".into()),
                sub: None,
            }
        );
        let without_aud = Signer::new("app", Secret::new("s")).claims_at("GET", &u, &u, 5);
        assert_eq!(without_aud.aud, None);
        assert_eq!(without_aud.exp, 185);
    }

    #[test]
    fn absent_optional_claims_are_not_serialised() {
        let claims = Signer::new("app", Secret::new("s")).claims_at(
            "GET",
            &url("https://h/"),
            &url("https://h/"),
            1,
        );
        let json = serde_json::to_value(&claims).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 4, "{keys:?}");
    }

    #[test]
    fn audience_may_be_a_single_item_list() {
        let claims: Claims = serde_json::from_str(
            r#"{"iss":"i","iat":1,"exp":2,"qsh":"q","aud":["a"],"context":{}}"#,
        )
        .unwrap();
        assert_eq!(claims.aud.as_deref(), Some("a"));
        assert!(
            serde_json::from_str::<Claims>(
                r#"{"iss":"i","iat":1,"exp":2,"qsh":"q","aud":["a","b"]}"#
            )
            .is_err()
        );
    }

    #[test]
    fn prepared_header_is_the_encoded_header_json() {
        assert_eq!(URL_SAFE_NO_PAD.encode(HEADER_JSON), HEADER_B64);
    }

    #[test]
    fn claims_written_by_hand_match_serde() {
        let base = url("https://h.example/jira");
        let target = url("https://h.example/jira/rest/api/3/x?b=2&a=1");
        for signer in [
            Signer::new("app", Secret::new("s")),
            Signer::new("a\"pp\u{e9}\n", Secret::new("s")).with_client_key("tenant \"key\""),
        ] {
            let token = signer.sign_at("GET", &target, &base, 1_700_000_000);
            let claims = token.expose().split('.').nth(1).unwrap();
            let ours = URL_SAFE_NO_PAD.decode(claims).unwrap();
            let expected = signer.claims_at("GET", &target, &base, 1_700_000_000);
            assert_eq!(ours, serde_json::to_vec(&expected).unwrap());
        }
    }

    #[test]
    fn debug_never_shows_the_keyed_state() {
        let signer = Signer::new("app", Secret::new("hunter2-secret"));
        let shown = format!("{signer:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("Prepared(***)"), "{shown}");
    }

    #[test]
    fn sign_at_header_is_fixed() {
        let token = Signer::new("app", Secret::new("s")).sign_at(
            "GET",
            &url("https://h/"),
            &url("https://h/"),
            1,
        );
        let header = token.expose().split('.').next().unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.decode(header).unwrap(),
            br#"{"alg":"HS256","typ":"JWT"}"#
        );
    }

    #[test]
    fn claim_errors_do_not_echo_values() {
        let header = URL_SAFE_NO_PAD.encode(HEADER_JSON);
        let claims = URL_SAFE_NO_PAD.encode(r#"{"iss":"i","iat":"leaky-value","exp":2,"qsh":"q"}"#);
        let token = format!("{header}.{claims}.");
        let err = Verifier::new(Secret::new("s"))
            .verify_at(&token, "GET", &url("https://h/"), &url("https://h/"), 1)
            .unwrap_err();
        assert!(matches!(err, VerifyError::Malformed(_)), "{err:?}");
        assert!(!err.to_string().contains("leaky-value"), "{err}");
    }
}
