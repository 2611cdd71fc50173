//! Connect JWT cost: canonical request, `qsh`, and a whole signed token, for
//! a typical Jira URL with a few query parameters.
//!
//! Each figure is ns per operation: median and p90 over timed batches.

use std::hint::black_box;

use appsec_runtime::Secret;
use appsec_runtime::connect_jwt::{Signer, canonical_request, query_string_hash};
use reqwest::Url;

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
}

/// The base URL and a typical request below it.
pub const BASE: &str = "https://your-site.atlassian.net";
/// A listing with filters and paging parameters, as the facade sends it.
pub const URL: &str = "https://your-site.atlassian.net/rest/api/3/issuesecurityschemes/level/member?schemeId=10000&levelId=10021&startAt=50&maxResults=50&expand=holder";

/// Times the three steps.
pub fn run(sizes: Sizes) -> Result<JwtResult, Box<dyn std::error::Error + Send + Sync>> {
    let base = Url::parse(BASE)?;
    let url = Url::parse(URL)?;
    let signer = Signer::new(
        "com.example.appsec-app",
        Secret::new("a-shared-secret-of-32-bytes-long"),
    );
    let [canonical, qsh, sign, header] = batched(
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
        ],
    )[..] else {
        unreachable!("four functions, four summaries")
    };
    Ok(JwtResult {
        url: URL.to_string(),
        canonical,
        qsh,
        sign,
        header,
    })
}
