//! Per-call overhead: the same GET and the same JSON POST against one
//! minimal loopback server, through bare reqwest + serde_json, the generated
//! client, and the facade with basic auth and with a Connect JWT.
//!
//! A second set of variants adds the facade's layers to the generated client
//! one at a time (HTTP settings, runtime context, retries, `.value()`), to
//! show where the facade's extra time goes.
//!
//! A third set is what a user would pick instead of the facade: the same
//! call written by hand with what the facade adds (credentials, a total
//! timeout, a copy of the request kept for one retry), and, with the
//! `peers` feature, the `jira` 0.4 and `gouqi` 0.20 crates with basic auth
//! and their default settings.
//!
//! Every variant is warmed up, then timed call by call in rounds; each round
//! runs every variant once, in a fresh random order, so that drift (CPU
//! frequency, other load) and the effect of the call just before land on
//! all of them alike.

use std::error::Error;
use std::hint::black_box;
use std::time::{Duration, Instant};

use appsec_jira_issue_security as generated;
use appsec_runtime::connect_jwt::query_string_hash;
use appsec_runtime::{Auth, ClientContext, RetryPolicy};
use appsec_sandbox::{
    DEMO_CONNECT_APP_KEY, DEMO_CONNECT_SHARED_SECRET, DEMO_JIRA_API_TOKEN, DEMO_JIRA_EMAIL,
};
use appsec_sdk::{JiraClient, SendExt};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use serde::{Deserialize, Serialize};

use crate::server::{LEVEL_PATH, MinimalServer, SCHEMES_PATH};
use crate::stats::Summary;

type BoxError = Box<dyn Error + Send + Sync>;

/// How many calls to make.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Untimed calls per variant and operation before timing.
    pub warmup: usize,
    /// Rounds; each times `calls_per_round` calls of every variant.
    pub rounds: usize,
    /// Consecutive calls of one variant within a round.
    pub calls_per_round: usize,
}

/// The two operations compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `GET /rest/api/3/securitylevel/10021`, decoding a `SecurityLevel`.
    Get,
    /// `POST /rest/api/3/issuesecurityschemes` with a JSON body, decoding `{"id"}`.
    Post,
}

impl Op {
    /// Short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Op::Get => "GET securitylevel/{id}",
            Op::Post => "POST issuesecurityschemes",
        }
    }
}

/// Which table a variant belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// The four variants of the comparison: (a) to (d).
    Main,
    /// The generated client with the facade's layers added one by one.
    Ladder,
    /// Both.
    Both,
    /// Hand-written calls that send what the facade sends (credentials
    /// included), and a repeat of (a) that shows the noise floor.
    Reference,
    /// What a user would pick instead of the facade with basic auth: the
    /// hand-written equivalent (r) and the other crates.
    Choice,
}

/// Timings of one variant of one operation, in µs per call.
#[derive(Debug, Clone)]
pub struct Timing {
    /// Label of the variant.
    pub label: &'static str,
    /// Table(s) it is shown in.
    pub table: Table,
    /// Median and p90 per call, µs.
    pub per_call: Summary,
}

/// Timings of one operation; the first entry is bare reqwest.
#[derive(Debug, Clone)]
pub struct OpResult {
    /// Which operation.
    pub op: Op,
    /// Every variant, bare reqwest first.
    pub timings: Vec<Timing>,
}

impl OpResult {
    /// Median of `t` over the median of bare reqwest.
    pub fn ratio(&self, t: &Timing) -> f64 {
        t.per_call.median / self.timings[0].per_call.median
    }

    /// The variant whose label starts with `prefix`, such as `(c)`.
    pub fn find(&self, prefix: &str) -> Option<&Timing> {
        self.timings.iter().find(|t| t.label.starts_with(prefix))
    }

    /// The variants shown in `table`.
    pub fn in_table(&self, table: Table) -> impl Iterator<Item = &Timing> {
        self.timings.iter().filter(move |t| {
            t.table == table
                || (t.table == Table::Both && matches!(table, Table::Main | Table::Ladder))
        })
    }
}

const LEVEL_ID: &str = "10021";

/// Label of the repeat of (a).
pub const NOISE_FLOOR: &str = "(a) again, its own client: the noise floor";
/// Label of the hand-written call with basic auth.
pub const BY_HAND_BASIC: &str = "(a) + `.basic_auth()`: what (c) sends";
/// Label of the hand-written call with a fixed, pre-signed JWT header.
pub const FIXED_JWT: &str = "(a) + one fixed JWT header, signed once: the header's own cost";
/// Label of the hand-written call with a Connect JWT.
pub const BY_HAND_JWT: &str = "(a) + Connect JWT signed with `jsonwebtoken`: what (d) sends";
/// Label of the hand-written equivalent of (c).
pub const EQUIVALENT: &str =
    "(r) by hand: `.basic_auth()`, 60 s total timeout, request copied for one retry";
/// Label prefixes of the other crates' variants.
pub const PEERS: [&str; 2] = ["(e)", "(f)"];
const SCHEME_NAME: &str = "Benchmark scheme";
const SCHEME_DESCRIPTION: &str = "Created by the per-call overhead benchmark.";

/// The typed description; checked against the spec's `maxLength` like any
/// value a user would pass.
fn description() -> Option<generated::types::CreateIssueSecuritySchemeDetailsDescription> {
    SCHEME_DESCRIPTION.parse().ok()
}

/// The bare variant's view of a `SecurityLevel`.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // Fields are decoded to be fair, not read.
pub(crate) struct BareLevel {
    #[serde(rename = "self")]
    self_: Option<String>,
    id: Option<String>,
    description: Option<String>,
    pub(crate) name: Option<String>,
    #[serde(rename = "isDefault")]
    is_default: Option<bool>,
    #[serde(rename = "issueSecuritySchemeId")]
    issue_security_scheme_id: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct BareCreate<'a> {
    pub(crate) name: &'a str,
    pub(crate) description: &'a str,
}

#[derive(Debug, Deserialize)]
pub(crate) struct BareId {
    pub(crate) id: String,
}

/// How a variant makes its calls.
enum Caller {
    /// reqwest and serde_json by hand, with the credentials of `auth`;
    /// with `retry_copy`, the request is copied before it is sent, so that
    /// it can be sent once more after a 429, a 5xx or a transport error.
    Bare {
        base: String,
        http: reqwest::Client,
        auth: BareAuth,
        retry_copy: bool,
    },
    /// A generated client; `value` awaits through the facade's
    /// [`SendExt::value`] instead of `.send().await`.
    Generated {
        client: generated::Client,
        value: bool,
    },
    /// The other crates, through their own APIs.
    #[cfg(feature = "peers")]
    Peer(crate::peers::Peer),
}

/// Credentials a hand-written call sends.
enum BareAuth {
    None,
    /// reqwest's `.basic_auth()`: the header (c) sends.
    Basic,
    /// One fixed `Authorization: JWT …` value of the length (d) sends, not
    /// signed per call: what the header alone costs on the wire.
    FixedJwt(reqwest::header::HeaderValue),
    /// A Connect JWT signed per call with the `jsonwebtoken` crate and the
    /// runtime's public `query_string_hash`: what (d) sends.
    Jwt {
        base: reqwest::Url,
        key: Box<jsonwebtoken::EncodingKey>,
    },
}

/// The claims of a hand-signed Connect JWT.
#[derive(Serialize)]
struct BareClaims<'a> {
    iss: &'a str,
    iat: u64,
    exp: u64,
    qsh: String,
}

struct Variant {
    label: &'static str,
    table: Table,
    caller: Caller,
}

/// Every variant, bare reqwest first.
fn variants(base: &str) -> Result<Vec<Variant>, BoxError> {
    let generated = |http: reqwest::Client, ctx: ClientContext, value: bool| Caller::Generated {
        client: generated::Client::new_with_client(base, http, ctx),
        value,
    };
    let bare = |auth: BareAuth| Caller::Bare {
        base: base.to_string(),
        http: reqwest::Client::new(),
        auth,
        retry_copy: false,
    };
    let facade = |jira: JiraClient| Caller::Generated {
        client: jira.issue_security().clone(),
        value: true,
    };
    let basic = || Auth::basic(DEMO_JIRA_EMAIL, DEMO_JIRA_API_TOKEN);
    let context = |retry: RetryPolicy| {
        ClientContext::builder(base)
            .auth(basic())
            .retry(retry)
            .build()
    };
    // What `ClientBuilder::build` configures when no client is given.
    let facade_http = || {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("appsec-sdk/0.1.0")
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            .build()
    };
    let mut variants = vec![
        Variant {
            label: "(a) bare reqwest + serde_json",
            table: Table::Both,
            caller: bare(BareAuth::None),
        },
        Variant {
            label: "(b) generated client",
            table: Table::Both,
            caller: generated(reqwest::Client::new(), ClientContext::new(), false),
        },
        Variant {
            label: "(b) + facade's reqwest settings (timeouts, no redirects, UA)",
            table: Table::Ladder,
            caller: generated(facade_http()?, ClientContext::new(), false),
        },
        Variant {
            label: "  + context: base URL check, basic auth, retries off",
            table: Table::Ladder,
            caller: generated(facade_http()?, context(RetryPolicy::none())?, false),
        },
        Variant {
            label: "  + default retries (request cloned per attempt)",
            table: Table::Ladder,
            caller: generated(facade_http()?, context(RetryPolicy::default())?, false),
        },
        Variant {
            label: "(c) facade, basic auth (+ `.value()`)",
            table: Table::Both,
            caller: facade(
                JiraClient::builder(base)
                    .basic_auth(DEMO_JIRA_EMAIL, DEMO_JIRA_API_TOKEN)
                    .build()?,
            ),
        },
        Variant {
            label: "(d) facade, Connect JWT",
            table: Table::Both,
            caller: facade(
                JiraClient::builder(base)
                    .connect_jwt(DEMO_CONNECT_APP_KEY, DEMO_CONNECT_SHARED_SECRET)
                    .build()?,
            ),
        },
        Variant {
            label: NOISE_FLOOR,
            table: Table::Reference,
            caller: bare(BareAuth::None),
        },
        Variant {
            label: BY_HAND_BASIC,
            table: Table::Reference,
            caller: bare(BareAuth::Basic),
        },
        Variant {
            label: FIXED_JWT,
            table: Table::Reference,
            caller: bare(BareAuth::FixedJwt(fixed_jwt(base)?)),
        },
        Variant {
            label: BY_HAND_JWT,
            table: Table::Reference,
            caller: bare(BareAuth::Jwt {
                base: reqwest::Url::parse(base)?,
                key: Box::new(jsonwebtoken::EncodingKey::from_secret(
                    DEMO_CONNECT_SHARED_SECRET.as_bytes(),
                )),
            }),
        },
        Variant {
            label: EQUIVALENT,
            table: Table::Choice,
            caller: Caller::Bare {
                base: base.to_string(),
                http: facade_http()?,
                auth: BareAuth::Basic,
                retry_copy: true,
            },
        },
    ];
    variants.extend(peer_variants(base)?);
    Ok(variants)
}

/// The other crates' variants (the `peers` feature).
#[cfg(feature = "peers")]
fn peer_variants(base: &str) -> Result<Vec<Variant>, BoxError> {
    let peers = crate::peers::Peer::all(base, DEMO_JIRA_EMAIL, DEMO_JIRA_API_TOKEN)?;
    Ok(peers
        .into_iter()
        .map(|(label, peer)| Variant {
            label,
            table: Table::Choice,
            caller: Caller::Peer(peer),
        })
        .collect())
}

/// Without the `peers` feature, none.
#[cfg(not(feature = "peers"))]
fn peer_variants(_base: &str) -> Result<Vec<Variant>, BoxError> {
    Ok(Vec::new())
}

impl Caller {
    async fn call(&self, op: Op) -> Result<(), BoxError> {
        match (self, op) {
            (
                Caller::Bare {
                    base,
                    http,
                    auth,
                    retry_copy,
                },
                Op::Get,
            ) => {
                let url = format!("{base}{LEVEL_PATH}{LEVEL_ID}");
                let request = http.get(&url).header(ACCEPT, "application/json");
                let response = send(http, auth.apply(request, "GET", &url)?, *retry_copy).await?;
                if response.status() != StatusCode::OK {
                    return Err(format!("GET answered {}", response.status()).into());
                }
                black_box(response.json::<BareLevel>().await?);
            }
            (
                Caller::Bare {
                    base,
                    http,
                    auth,
                    retry_copy,
                },
                Op::Post,
            ) => {
                let url = format!("{base}{SCHEMES_PATH}");
                let body = BareCreate {
                    name: SCHEME_NAME,
                    description: SCHEME_DESCRIPTION,
                };
                let request = http
                    .post(&url)
                    .header(ACCEPT, "application/json")
                    .json(&body);
                let response = send(http, auth.apply(request, "POST", &url)?, *retry_copy).await?;
                if response.status() != StatusCode::CREATED {
                    return Err(format!("POST answered {}", response.status()).into());
                }
                black_box(response.json::<BareId>().await?.id);
            }
            (Caller::Generated { client, value }, Op::Get) => {
                let call = client.get_issue_security_level().id(LEVEL_ID).send();
                if *value {
                    black_box(call.value().await?);
                } else {
                    black_box(call.await?.into_inner());
                }
            }
            (Caller::Generated { client, value }, Op::Post) => {
                let call = client
                    .create_issue_security_scheme()
                    .body_map(|b| b.name(SCHEME_NAME).description(description()))
                    .send();
                if *value {
                    black_box(call.value().await?.id);
                } else {
                    black_box(call.await?.into_inner().id);
                }
            }
            #[cfg(feature = "peers")]
            (Caller::Peer(peer), Op::Get) => {
                black_box(peer.get_level(LEVEL_ID).await?);
            }
            #[cfg(feature = "peers")]
            (Caller::Peer(peer), Op::Post) => {
                black_box(peer.create_scheme(SCHEME_NAME, SCHEME_DESCRIPTION).await?);
            }
        }
        Ok(())
    }
}

/// Sends `request`; with `retry_copy`, as a client that retries once would:
/// copy the request first, and send the copy after a status or error worth
/// retrying (which the benchmark's server never gives).
async fn send(
    http: &reqwest::Client,
    request: reqwest::RequestBuilder,
    retry_copy: bool,
) -> Result<reqwest::Response, BoxError> {
    if !retry_copy {
        return Ok(request.send().await?);
    }
    let request = request.build()?;
    let copy = request.try_clone();
    let first = http.execute(request).await;
    let retry = match &first {
        Ok(response) => {
            let status = response.status();
            status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
        }
        Err(e) => e.is_connect() || e.is_timeout(),
    };
    Ok(match copy {
        Some(copy) if retry => http.execute(copy).await?,
        _ => first?,
    })
}

/// A real token for the GET, signed once by the runtime's signer, so that
/// the header has exactly the length (d) sends.
fn fixed_jwt(base: &str) -> Result<reqwest::header::HeaderValue, BoxError> {
    let base = reqwest::Url::parse(base)?;
    let url = base.join(&format!("{LEVEL_PATH}{LEVEL_ID}"))?;
    let signer = appsec_runtime::connect_jwt::Signer::new(
        DEMO_CONNECT_APP_KEY,
        DEMO_CONNECT_SHARED_SECRET.into(),
    );
    let header = signer.authorization_header("GET", &url, &base);
    Ok(reqwest::header::HeaderValue::from_str(header.expose())?)
}

impl BareAuth {
    /// Adds this variant's credentials the way a hand-written client would.
    fn apply(
        &self,
        request: reqwest::RequestBuilder,
        method: &str,
        url: &str,
    ) -> Result<reqwest::RequestBuilder, BoxError> {
        Ok(match self {
            BareAuth::None => request,
            BareAuth::Basic => request.basic_auth(DEMO_JIRA_EMAIL, Some(DEMO_JIRA_API_TOKEN)),
            BareAuth::FixedJwt(value) => request.header(AUTHORIZATION, value.clone()),
            BareAuth::Jwt { base, key } => {
                let iat = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)?
                    .as_secs();
                let claims = BareClaims {
                    iss: DEMO_CONNECT_APP_KEY,
                    iat,
                    exp: iat + 180,
                    qsh: query_string_hash(method, &reqwest::Url::parse(url)?, base),
                };
                let token = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, key)?;
                request.header(AUTHORIZATION, format!("JWT {token}"))
            }
        })
    }
}

/// Runs both operations through every variant on a single-threaded
/// runtime, against a [`MinimalServer`] on its own thread.
pub fn run(sizes: Sizes) -> Result<Vec<OpResult>, BoxError> {
    let server = MinimalServer::start()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let results = runtime.block_on(async {
        let variants = variants(&server.url())?;
        let mut results = Vec::new();
        for op in [Op::Get, Op::Post] {
            results.push(measure(&variants, op, sizes).await?);
        }
        Ok::<_, BoxError>(results)
    })?;
    drop(server);
    Ok(results)
}

async fn measure(variants: &[Variant], op: Op, sizes: Sizes) -> Result<OpResult, BoxError> {
    for variant in variants {
        for _ in 0..sizes.warmup {
            variant.caller.call(op).await?;
        }
    }
    let mut samples: Vec<Vec<Duration>> = variants
        .iter()
        .map(|_| Vec::with_capacity(sizes.rounds * sizes.calls_per_round))
        .collect();
    // A fresh random order every round: with a fixed rotation each variant
    // would always follow the same neighbour and inherit its effect on
    // caches and the server, which showed as a 1-3% bias between identical
    // variants. Seeded, so runs are comparable.
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5EED);
    let mut order: Vec<usize> = (0..variants.len()).collect();
    for _ in 0..sizes.rounds {
        order.shuffle(&mut rng);
        for &index in &order {
            for _ in 0..sizes.calls_per_round {
                let start = Instant::now();
                variants[index].caller.call(op).await?;
                samples[index].push(start.elapsed());
            }
        }
    }
    let timings = variants
        .iter()
        .zip(&samples)
        .map(|(v, s)| {
            Ok(Timing {
                label: v.label,
                table: v.table,
                per_call: Summary::of_micros(s).ok_or("no samples")?,
            })
        })
        .collect::<Result<_, BoxError>>()?;
    Ok(OpResult { op, timings })
}
