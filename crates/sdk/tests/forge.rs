//! Forge Invocation Token verification: each check rejects with its own error.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use appsec_sdk::forge::{
    FitError, FitVerifier, ForgeTokens, HttpJwks, JwksFuture, JwksSource, SYSTEM_TOKEN_HEADER,
    StaticJwks, jira_builder,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[path = "support/trace.rs"]
mod trace;

const APP_ID: &str = "ari:cloud:ecosystem::app/6c1f7b1e-7d3e-4c4b-9a55-1b2d3e4f5a6b";
const KEY_A: &[u8] = include_bytes!("fixtures/forge-key-a.der");
const KEY_B: &[u8] = include_bytes!("fixtures/forge-key-b.der");
const JWKS_A: &str = include_str!("fixtures/forge-jwks-a.json");

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims() -> Value {
    let now = now();
    json!({
        "iss": "forge/invocation-token",
        "aud": APP_ID,
        "iat": now,
        "nbf": now,
        "exp": now + 25,
        "app": {
            "id": APP_ID,
            "installationId": "ari:cloud:ecosystem::installation/1",
            "apiBaseUrl": "https://api.atlassian.com/ex/jira/cloud-1",
            "environment": {"type": "DEVELOPMENT"},
            "module": {"type": "xen:macro", "key": "m"},
            "someNewField": 1
        },
        "context": {"cloudId": "cloud-1", "siteUrl": "https://site.atlassian.net", "moduleKey": "m"},
        "principal": "account-1"
    })
}

fn sign_with(key: &[u8], kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_der(key)).unwrap()
}

fn sign(claims: &Value) -> String {
    sign_with(KEY_A, "test-key-a", claims)
}

fn jwks_a() -> JwkSet {
    serde_json::from_str(JWKS_A).unwrap()
}

fn verifier() -> FitVerifier {
    FitVerifier::new(APP_ID, StaticJwks(jwks_a()))
}

fn with(mut value: Value, pointer: &str, new: Value) -> Value {
    *value.pointer_mut(pointer).unwrap() = new;
    value
}

async fn rejection(token: &str) -> FitError {
    verifier().verify(token).await.unwrap_err()
}

#[tokio::test]
async fn a_valid_token_passes_with_typed_claims() {
    let claims = verifier().verify(&sign(&claims())).await.unwrap();
    assert_eq!(claims.app.id, APP_ID);
    assert_eq!(
        claims.app.api_base_url,
        "https://api.atlassian.com/ex/jira/cloud-1"
    );
    assert_eq!(claims.context.cloud_id.as_deref(), Some("cloud-1"));
    assert_eq!(claims.principal.as_deref(), Some("account-1"));
    assert!(claims.app.other.contains_key("someNewField"));
}

#[tokio::test]
async fn an_unsigned_token_is_refused() {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"test-key-a"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims().to_string());
    assert_eq!(
        rejection(&format!("{header}.{body}.")).await,
        FitError::Unsigned
    );
}

#[tokio::test]
async fn hs256_keyed_with_the_public_key_is_refused() {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("test-key-a".into());
    let public = jwks_a().keys[0].clone();
    let secret = serde_json::to_vec(&public).unwrap();
    let token =
        jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(&secret)).unwrap();
    assert_eq!(
        rejection(&token).await,
        FitError::AlgorithmNotAllowed("HS256".into())
    );
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_refused() {
    let token = sign_with(KEY_B, "test-key-a", &claims());
    assert_eq!(rejection(&token).await, FitError::BadSignature);
}

#[tokio::test]
async fn an_unknown_kid_is_refused() {
    let token = sign_with(KEY_B, "test-key-b", &claims());
    assert_eq!(
        rejection(&token).await,
        FitError::UnknownKeyId("test-key-b".into())
    );
}

#[tokio::test]
async fn a_missing_kid_is_refused() {
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &claims(),
        &EncodingKey::from_rsa_der(KEY_A),
    )
    .unwrap();
    assert_eq!(rejection(&token).await, FitError::MissingKeyId);
}

#[tokio::test]
async fn a_token_for_another_app_is_refused() {
    let token = sign(&with(
        claims(),
        "/aud",
        json!("ari:cloud:ecosystem::app/other"),
    ));
    assert_eq!(rejection(&token).await, FitError::WrongAudience);
}

#[tokio::test]
async fn a_token_from_another_issuer_is_refused() {
    let token = sign(&with(claims(), "/iss", json!("someone-else")));
    assert_eq!(rejection(&token).await, FitError::WrongIssuer);
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let token = sign(&with(claims(), "/exp", json!(now() - 60)));
    assert_eq!(rejection(&token).await, FitError::Expired);
    // Within the leeway it still passes.
    let token = sign(&with(claims(), "/exp", json!(now() - 3)));
    assert!(verifier().verify(&token).await.is_ok());
}

#[tokio::test]
async fn a_token_not_valid_yet_is_refused() {
    let token = sign(&with(claims(), "/nbf", json!(now() + 120)));
    assert_eq!(rejection(&token).await, FitError::NotYetValid);
    let token = sign(&with(claims(), "/nbf", json!(now() + 3)));
    assert!(verifier().verify(&token).await.is_ok());
}

#[tokio::test]
async fn an_ic_label_that_is_not_a_label_is_refused_before_keys_are_chosen() {
    let source = Counting::new(jwks_a());
    let fetches = source.fetches.clone();
    let verifier = FitVerifier::new(APP_ID, source);
    for label in ["../x", "", "UPPER", &"a".repeat(51), "a/b"] {
        let mut claims = claims();
        claims["icLabel"] = json!(label);
        let err = verifier.verify(&sign(&claims)).await.unwrap_err();
        assert_eq!(err, FitError::InvalidIcLabel, "{label:?}");
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 0, "no keys were looked up");
    let mut claims = claims();
    claims["icLabel"] = json!("gov_cloud-1");
    assert_eq!(
        self::verifier().verify(&sign(&claims)).await.unwrap_err(),
        FitError::IsolatedCloudNotConfigured("gov_cloud-1".into())
    );
}

#[tokio::test]
async fn a_missing_app_claim_is_refused() {
    let mut claims = claims();
    claims.as_object_mut().unwrap().remove("app");
    assert!(matches!(
        rejection(&sign(&claims)).await,
        FitError::Claims(_)
    ));
}

/// A key source that counts its downloads and serves whatever it holds now.
#[derive(Debug)]
struct Counting {
    keys: Arc<std::sync::Mutex<JwkSet>>,
    fetches: Arc<AtomicUsize>,
}

impl Counting {
    fn new(keys: JwkSet) -> Self {
        Self {
            keys: Arc::new(std::sync::Mutex::new(keys)),
            fetches: Arc::default(),
        }
    }
}

impl JwksSource for Counting {
    fn fetch<'a>(&'a self, _ic_label: Option<&'a str>) -> JwksFuture<'a> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let keys = self.keys.lock().unwrap().clone();
        Box::pin(async move { Ok(keys) })
    }
}

#[tokio::test]
async fn unknown_kids_refresh_the_keys_at_a_bounded_rate() {
    let source = Counting::new(jwks_a());
    let fetches = source.fetches.clone();
    let verifier = FitVerifier::new(APP_ID, source);
    verifier.verify(&sign(&claims())).await.unwrap();
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    for _ in 0..5 {
        let forged = sign_with(KEY_B, "made-up", &claims());
        assert_eq!(
            verifier.verify(&forged).await.unwrap_err(),
            FitError::UnknownKeyId("made-up".into())
        );
    }
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "refreshed within the interval"
    );
    // Cached keys keep verifying without a download.
    verifier.verify(&sign(&claims())).await.unwrap();
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_rotated_key_is_found_by_refreshing() {
    let source = Counting::new(jwks_a());
    let (keys, fetches) = (source.keys.clone(), source.fetches.clone());
    let verifier = FitVerifier::new(APP_ID, source).with_min_refresh_interval(Duration::ZERO);
    verifier.verify(&sign(&claims())).await.unwrap();
    let b: JwkSet = serde_json::from_str(include_str!("fixtures/forge-jwks-b.json")).unwrap();
    *keys.lock().unwrap() = b;
    verifier
        .verify(&sign_with(KEY_B, "test-key-b", &claims()))
        .await
        .unwrap();
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn keys_download_over_http_once_per_interval() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/.well-known/jwks.json"))
        .respond_with(ResponseTemplate::new(200).set_body_string(JWKS_A))
        .expect(1)
        .mount(&server)
        .await;
    let verifier = FitVerifier::new(
        APP_ID,
        HttpJwks::new(format!("{}/.well-known/jwks.json", server.uri())),
    );
    verifier.verify(&sign(&claims())).await.unwrap();
    let forged = sign_with(KEY_B, "made-up", &claims());
    for _ in 0..3 {
        assert!(matches!(
            verifier.verify(&forged).await,
            Err(FitError::UnknownKeyId(_))
        ));
    }
    verifier.verify(&sign(&claims())).await.unwrap();
}

fn headers(fit: &str, system: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {fit}")).unwrap(),
    );
    if let Some(token) = system {
        headers.insert(SYSTEM_TOKEN_HEADER, HeaderValue::from_str(token).unwrap());
    }
    headers
}

/// A system token shaped like Atlassian's: a JWT whose `exp` says when it lapses.
fn system_token(exp: i64, marker: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#);
    let body = URL_SAFE_NO_PAD.encode(json!({"exp": exp, "m": marker}).to_string());
    format!("{header}.{body}.c2ln")
}

#[tokio::test]
async fn headers_give_claims_and_app_tokens_and_the_store_keeps_the_newest() {
    let verifier = verifier();
    let tokens = ForgeTokens::new();
    let fit = sign(&claims());
    let long = system_token(now() + 7200, "long");
    let invocation = verifier
        .verify_headers(&headers(&fit, Some(&long)))
        .await
        .unwrap();
    assert!(invocation.user_token.is_none());
    tokens.remember(&invocation);
    let installation = invocation.claims.app.installation_id.clone();
    assert_eq!(tokens.system_token(&installation).unwrap().expose(), long);

    // A token that lapses sooner does not replace one that lasts longer.
    let short = system_token(now() + 600, "short");
    let second = verifier
        .verify_headers(&headers(&fit, Some(&short)))
        .await
        .unwrap();
    tokens.remember(&second);
    assert_eq!(tokens.system_token(&installation).unwrap().expose(), long);

    // Nothing about the tokens shows in Debug.
    let shown = format!("{invocation:?} {tokens:?}");
    assert!(!shown.contains(&long) && !shown.contains(&fit), "{shown}");

    let jira = jira_builder(&invocation.claims, &tokens).build().unwrap();
    assert!(
        jira.security_info().is_ok(),
        "app tokens work for Security Information"
    );

    // `requestRemote` calls carry a FIT and no tokens.
    let bare = verifier.verify_headers(&headers(&fit, None)).await.unwrap();
    assert!(bare.system_token.is_none());
    assert_eq!(
        verifier
            .verify_headers(&HeaderMap::new())
            .await
            .unwrap_err(),
        FitError::Missing
    );
}

#[tokio::test]
async fn an_expired_system_token_is_not_used() {
    let tokens = ForgeTokens::new();
    let invocation = verifier()
        .verify_headers(&headers(
            &sign(&claims()),
            Some(&system_token(now() - 1, "old")),
        ))
        .await
        .unwrap();
    tokens.remember(&invocation);
    assert!(
        tokens
            .system_token(&invocation.claims.app.installation_id)
            .is_none()
    );
}

#[tokio::test]
async fn the_system_token_reaches_jira_at_the_api_base_url_and_no_log_shows_a_token() {
    let captured = trace::capture();
    let server = MockServer::start().await;
    let token = system_token(now() + 7200, "sys");
    Mock::given(method("GET"))
        .and(path("/ex/jira/cloud-1/rest/security/1.0/linkedWorkspaces"))
        .and(wiremock::matchers::header(
            "authorization",
            format!("Bearer {token}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"workspaceIds": ["w"]})))
        .expect(1)
        .mount(&server)
        .await;
    let claims = with(
        claims(),
        "/app/apiBaseUrl",
        json!(format!("{}/ex/jira/cloud-1", server.uri())),
    );
    let invocation = verifier()
        .verify_headers(&headers(&sign(&claims), Some(&token)))
        .await
        .unwrap();
    let tokens = ForgeTokens::new();
    tokens.remember(&invocation);
    let jira = jira_builder(&invocation.claims, &tokens).build().unwrap();
    use appsec_sdk::SendExt;
    let linked = jira
        .security_info()
        .unwrap()
        .get_linked_workspaces()
        .send()
        .value()
        .await
        .unwrap();
    assert_eq!(linked.workspace_ids, vec!["w".to_string()]);

    let fit = sign(&claims);
    let rejected = verifier().verify(&format!("{fit}x")).await.unwrap_err();
    let mut shown = captured.text();
    assert!(
        shown.contains("TRACE") || shown.contains("DEBUG"),
        "captured: {shown}"
    );
    shown.push_str(&format!("{rejected} {rejected:?} {invocation:?} {jira:?}"));
    let signature = fit.rsplit('.').next().unwrap();
    for secret in [token.as_str(), fit.as_str(), signature] {
        assert!(!shown.contains(secret), "a token leaked: {shown}");
    }
}
