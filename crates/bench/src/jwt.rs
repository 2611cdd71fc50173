//! Connect JWT cost: canonical request, `qsh`, and a whole signed token, for
//! a typical Jira URL with a few query parameters; and the same token signed
//! with the `jsonwebtoken` crate, as an integration without the SDK would.
//!
//! Each figure is ns per operation: median and p90 over timed batches.

use std::hint::black_box;

use appsec_runtime::Secret;
use appsec_runtime::connect_jwt::{Signer, canonical_request, query_string_hash};
use reqwest::Url;
use serde::Serialize;

use crate::stats::{Summary, batched};

/// How much to time.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Operations per timed batch.
    pub per_batch: usize,
    /// Timed batches (one untimed batch warms up first).
    pub batches: usize,
}

/// ns per operation.
#[derive(Debug, Clone)]
pub struct JwtResult {
    /// The URL signed.
    pub url: String,
    /// `canonical_request` alone.
    pub canonical: Summary,
    /// `query_string_hash` (canonical request + SHA-256 + hex).
    pub qsh: Summary,
    /// `Signer::sign`: qsh, claims JSON, base64url, HMAC-SHA256.
    pub sign: Summary,
    /// `Signer::authorization_header`: `sign` plus the `JWT ` prefix, as the
    /// runtime calls it per attempt.
    pub header: Summary,
    /// The same claims signed with `jsonwebtoken::encode` (HS256), the qsh
    /// from the runtime's `query_string_hash`.
    pub jsonwebtoken: Summary,
}

/// The claims of a Connect JWT, for `jsonwebtoken`.
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: u64,
    exp: u64,
    qsh: String,
}

const APP_KEY: &str = "com.example.appsec-app";
const SHARED_SECRET: &str = "a-shared-secret-of-32-bytes-long";

/// The base URL and a typical request below it.
pub const BASE: &str = "https://your-site.atlassian.net";
/// A listing with filters and paging parameters, as the facade sends it.
pub const URL: &str = "https://your-site.atlassian.net/rest/api/3/issuesecurityschemes/level/member?schemeId=10000&levelId=10021&startAt=50&maxResults=50&expand=holder";

/// Times the three steps.
pub fn run(sizes: Sizes) -> Result<JwtResult, Box<dyn std::error::Error + Send + Sync>> {
    let base = Url::parse(BASE)?;
    let url = Url::parse(URL)?;
    let signer = Signer::new(APP_KEY, Secret::new(SHARED_SECRET));
    let key = jsonwebtoken::EncodingKey::from_secret(SHARED_SECRET.as_bytes());
    let jwt_header = jsonwebtoken::Header::default();
    // What a hand-written signer does per request: the time, the qsh, encode.
    let mut by_crate = || {
        let iat = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let claims = Claims {
            iss: APP_KEY,
            iat,
            exp: iat + 180,
            qsh: query_string_hash(black_box("GET"), black_box(&url), &base),
        };
        black_box(jsonwebtoken::encode(&jwt_header, &claims, &key).ok());
    };
    let [canonical, qsh, sign, header, jsonwebtoken] = batched(
        sizes.batches,
        sizes.per_batch,
        &mut [
            &mut || {
                black_box(canonical_request(black_box("GET"), black_box(&url), &base));
            },
            &mut || {
                black_box(query_string_hash(black_box("GET"), black_box(&url), &base));
            },
            &mut || {
                black_box(signer.sign(black_box("GET"), black_box(&url), &base));
            },
            &mut || {
                black_box(signer.authorization_header(black_box("GET"), black_box(&url), &base));
            },
            &mut by_crate,
        ],
    )[..] else {
        unreachable!("five functions, five summaries")
    };
    Ok(JwtResult {
        url: URL.to_string(),
        canonical,
        qsh,
        sign,
        header,
        jsonwebtoken,
    })
}
