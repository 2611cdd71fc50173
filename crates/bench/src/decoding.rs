//! Decoding throughput: one large Qwiet findings page (250 findings as the
//! sandbox generates them, with realistic fields) into the generated
//! `ListOrgFindingsResponse` versus into `serde_json::Value`.

use std::hint::black_box;

use appsec_sandbox::{DEMO_QWIET_TOKEN, SANDBOX_ORG_ID, Sandbox, SandboxConfig};
use appsec_sdk::qwiet::api::types::ListOrgFindingsResponse;
use bytes::Bytes;

use crate::stats::{Summary, batched};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Findings on the page.
pub const PAGE_FINDINGS: usize = 250;

/// How much to time.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Decodes per timed batch.
    pub per_batch: usize,
    /// Timed batches per target (one untimed batch warms up first).
    pub batches: usize,
}

/// Per target: µs per page (median, p90 over batches) and MB/s at the median.
#[derive(Debug, Clone)]
pub struct DecodeResult {
    /// Size of the page, bytes.
    pub page_bytes: usize,
    /// Into the generated type.
    pub typed_us: Summary,
    /// Into `serde_json::Value`.
    pub value_us: Summary,
}

impl DecodeResult {
    /// MB/s (10^6 bytes per second) at a median time per page in µs.
    pub fn mb_per_s(&self, us_per_page: f64) -> f64 {
        self.page_bytes as f64 / us_per_page
    }
}

/// Fetches one page of findings from an in-process sandbox, as sent.
pub async fn sample_page() -> Result<Bytes, BoxError> {
    let sandbox = Sandbox::start(SandboxConfig {
        qwiet_findings: PAGE_FINDINGS * 2,
        ..SandboxConfig::default()
    })
    .await?;
    let url = format!(
        "{}/orgs/{SANDBOX_ORG_ID}/findings?per_page={PAGE_FINDINGS}&status=any",
        sandbox.qwiet_url()
    );
    let response = reqwest::Client::new()
        .get(url)
        .bearer_auth(DEMO_QWIET_TOKEN)
        .send()
        .await?
        .error_for_status()?;
    let body = response.bytes().await?;
    sandbox.shutdown().await;
    Ok(body)
}

/// Times decoding `page` both ways.
pub fn run(page: &[u8], sizes: Sizes) -> Result<DecodeResult, BoxError> {
    let decoded: ListOrgFindingsResponse = serde_json::from_slice(page)?;
    let found = decoded.response.findings.len();
    if found != PAGE_FINDINGS {
        return Err(format!("the page holds {found} findings, not {PAGE_FINDINGS}").into());
    }
    let [typed_ns, value_ns] = batched(
        sizes.batches,
        sizes.per_batch,
        &mut [
            &mut || {
                let page: ListOrgFindingsResponse =
                    serde_json::from_slice(black_box(page)).expect("decoded once already");
                black_box(page);
            },
            &mut || {
                let page: serde_json::Value =
                    serde_json::from_slice(black_box(page)).expect("decoded once already");
                black_box(page);
            },
        ],
    )[..] else {
        unreachable!("two functions, two summaries")
    };
    Ok(DecodeResult {
        page_bytes: page.len(),
        typed_us: micros(typed_ns),
        value_us: micros(value_ns),
    })
}

fn micros(ns: Summary) -> Summary {
    Summary {
        median: ns.median / 1e3,
        p90: ns.p90 / 1e3,
    }
}
