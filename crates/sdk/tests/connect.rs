//! Connect verification through jsonwebtoken: HS256 only plus the SDK's qsh
//! check, and the RS256 signed install callback.

use appsec_sdk::Secret;
use appsec_sdk::connect::{
    CONTEXT_QSH, ConnectError, ConnectVerifier, InstallVerifier, StaticInstallKeys,
    unverified_issuer,
};
use appsec_sdk::connect_jwt::{Signer, query_string_hash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Url;
use serde_json::{Value, json};

const SECRET: &str = "tenant-shared-secret";
const CLIENT_KEY: &str = "tenant-client-key";

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn base() -> Url {
    url("https://app.example.com/connect")
}

fn request() -> Url {
    url("https://app.example.com/connect/panel?project=APP&b=2")
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn verifier() -> ConnectVerifier {
    ConnectVerifier::new(SECRET)
        .unwrap()
        .with_issuer(CLIENT_KEY)
}

fn claims(qsh: &str) -> Value {
    json!({"iss": CLIENT_KEY, "iat": now(), "exp": now() + 180, "qsh": qsh, "sub": "account-1"})
}

fn hs(alg: Algorithm, claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn reject(token: &str) -> ConnectError {
    verifier()
        .verify(token, "GET", &request(), &base())
        .unwrap_err()
}

#[test]
fn atlassian_interop_vectors_verify() {
    let vectors: Vec<Value> = serde_json::from_str(include_str!(
        "../../runtime/tests/fixtures/connect-interop.json"
    ))
    .unwrap();
    assert_eq!(vectors.len(), 18);
    let verifier = ConnectVerifier::new("s0m3-sh@r3d-s3cr37")
        .unwrap()
        .with_issuer("jira:1234-5678-9000");
    for vector in &vectors {
        let signed = url(vector["signed_url"].as_str().unwrap());
        let token = signed
            .query_pairs()
            .find(|(k, _)| k == "jwt")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        let claims = verifier
            .verify_at(
                &token,
                "GET",
                &signed,
                &url("https://example.com"),
                1_392_204_462,
            )
            .unwrap_or_else(|e| panic!("{}: {e}", vector["name"]));
        assert_eq!(claims.sub.as_deref(), Some("123456789"));
        // The same token has long expired.
        assert_eq!(
            verifier.verify(&token, "GET", &signed, &url("https://example.com")),
            Err(ConnectError::Expired)
        );
    }
}

#[test]
fn the_issuer_is_readable_before_verification_and_selects_the_secret() {
    let token = Signer::new(CLIENT_KEY, Secret::new(SECRET)).sign("GET", &request(), &base());
    assert_eq!(unverified_issuer(token.expose()).unwrap(), CLIENT_KEY);
    let claims = verifier()
        .verify(token.expose(), "GET", &request(), &base())
        .unwrap();
    assert_eq!(claims.iss, CLIENT_KEY);
    assert!(matches!(
        unverified_issuer("a.b"),
        Err(ConnectError::Malformed(_))
    ));
}

#[test]
fn an_empty_shared_secret_is_refused() {
    assert_eq!(
        ConnectVerifier::new("").unwrap_err(),
        ConnectError::EmptySharedSecret
    );
}

#[test]
fn each_check_rejects_with_its_own_error() {
    let qsh = query_string_hash("GET", &request(), &base());
    assert!(
        verifier()
            .verify(
                &hs(Algorithm::HS256, &claims(&qsh), SECRET),
                "GET",
                &request(),
                &base()
            )
            .is_ok()
    );
    assert_eq!(
        reject(&hs(Algorithm::HS512, &claims(&qsh), SECRET)),
        ConnectError::AlgorithmNotAllowed {
            expected: "HS256",
            found: "HS512".into()
        }
    );
    let header = base64_url(r#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{header}.{}.", base64_url(&claims(&qsh).to_string()));
    assert!(matches!(
        reject(&unsigned),
        ConnectError::AlgorithmNotAllowed { .. }
    ));
    assert_eq!(
        reject(&hs(Algorithm::HS256, &claims(&qsh), "other")),
        ConnectError::BadSignature
    );
    let mut other_issuer = claims(&qsh);
    other_issuer["iss"] = json!("someone-else");
    assert_eq!(
        reject(&hs(Algorithm::HS256, &other_issuer, SECRET)),
        ConnectError::WrongIssuer
    );
    let mut expired = claims(&qsh);
    expired["exp"] = json!(now() - 120);
    assert_eq!(
        reject(&hs(Algorithm::HS256, &expired, SECRET)),
        ConnectError::Expired
    );
    let other_request = query_string_hash(
        "GET",
        &url("https://app.example.com/connect/panel?project=OPS"),
        &base(),
    );
    assert_eq!(
        reject(&hs(Algorithm::HS256, &claims(&other_request), SECRET)),
        ConnectError::QshMismatch
    );
    let mut no_qsh = claims(&qsh);
    no_qsh.as_object_mut().unwrap().remove("qsh");
    assert!(matches!(
        reject(&hs(Algorithm::HS256, &no_qsh, SECRET)),
        ConnectError::Claims(_)
    ));
}

#[test]
fn context_qsh_is_accepted_only_when_asked_for() {
    let token = hs(Algorithm::HS256, &claims(CONTEXT_QSH), SECRET);
    assert_eq!(reject(&token), ConnectError::ContextQshNotAccepted);
    verifier()
        .accept_context_qsh()
        .verify(&token, "GET", &request(), &base())
        .unwrap();
}

#[test]
fn debug_hides_the_secret() {
    let shown = format!("{:?}", verifier());
    assert!(!shown.contains(SECRET), "{shown}");
}

fn base64_url(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

// ------------------------------------------------------------ install callback

const KEY_A: &[u8] = include_bytes!("fixtures/forge-key-a.der");
const KEY_B: &[u8] = include_bytes!("fixtures/forge-key-b.der");

fn install_keys() -> StaticInstallKeys {
    let jwks: Value = serde_json::from_str(include_str!("fixtures/forge-jwks-a.json")).unwrap();
    let key = &jwks["keys"][0];
    StaticInstallKeys::new()
        .with_rsa_components(
            "install-key-1",
            key["n"].as_str().unwrap(),
            key["e"].as_str().unwrap(),
        )
        .unwrap()
}

fn installed() -> Url {
    url("https://app.example.com/connect/installed")
}

fn install_claims() -> Value {
    json!({
        "iss": CLIENT_KEY, "aud": "https://app.example.com/connect", "iat": now(), "exp": now() + 180,
        "qsh": query_string_hash("POST", &installed(), &base()),
    })
}

fn rs(kid: Option<&str>, claims: &Value, key: &[u8]) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_string);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_der(key)).unwrap()
}

async fn install(token: &str) -> Result<(), ConnectError> {
    InstallVerifier::new(base(), install_keys())
        .verify(token, "POST", &installed(), CLIENT_KEY)
        .await
        .map(|_| ())
}

#[tokio::test]
async fn the_signed_install_callback_is_checked() {
    install(&rs(Some("install-key-1"), &install_claims(), KEY_A))
        .await
        .unwrap();

    let shared = hs(Algorithm::HS256, &install_claims(), SECRET);
    assert!(matches!(
        install(&shared).await,
        Err(ConnectError::AlgorithmNotAllowed { .. })
    ));
    assert_eq!(
        install(&rs(None, &install_claims(), KEY_A)).await,
        Err(ConnectError::MissingKeyId)
    );
    assert_eq!(
        install(&rs(Some("install-key-2"), &install_claims(), KEY_A)).await,
        Err(ConnectError::UnknownKeyId("install-key-2".into()))
    );
    assert_eq!(
        install(&rs(Some("install-key-1"), &install_claims(), KEY_B)).await,
        Err(ConnectError::BadSignature)
    );
    let mut other_app = install_claims();
    other_app["aud"] = json!("https://evil.example.com");
    assert_eq!(
        install(&rs(Some("install-key-1"), &other_app, KEY_A)).await,
        Err(ConnectError::WrongAudience)
    );
    let mut other_tenant = install_claims();
    other_tenant["iss"] = json!("another-tenant");
    assert_eq!(
        install(&rs(Some("install-key-1"), &other_tenant, KEY_A)).await,
        Err(ConnectError::WrongIssuer)
    );
    let mut expired = install_claims();
    expired["exp"] = json!(now() - 120);
    assert_eq!(
        install(&rs(Some("install-key-1"), &expired, KEY_A)).await,
        Err(ConnectError::Expired)
    );
    let mut uninstall = install_claims();
    uninstall["qsh"] = json!(query_string_hash(
        "POST",
        &url("https://app.example.com/connect/uninstalled"),
        &base()
    ));
    assert_eq!(
        install(&rs(Some("install-key-1"), &uninstall, KEY_A)).await,
        Err(ConnectError::QshMismatch)
    );
}
