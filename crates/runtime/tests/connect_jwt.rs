//! Connect JWT checked against independent implementations: `jsonwebtoken`
//! decodes what `Signer` produces, and Atlassian's own interoperability
//! vectors (signed by the Java reference library) must verify.

// Named after the module so `cargo test -p appsec-runtime connect_jwt`
// selects these tests too.
mod connect_jwt {
    use std::mem::discriminant;
    use std::time::Duration;

    use appsec_runtime::Secret;
    use appsec_runtime::connect_jwt::{
        Claims, Signer, Verifier, VerifyError, canonical_request, query_string_hash,
    };
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
    use reqwest::Url;
    use serde_json::{Value, json};

    const SECRET: &str = "an-installation-shared-secret";
    const APP_KEY: &str = "com.example.appsec";
    const CLIENT_KEY: &str = "7d3b1c2e-client-key";
    const NOW: i64 = 1_700_000_000;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn base() -> Url {
        url("https://example.atlassian.net")
    }

    fn request() -> Url {
        url("https://example.atlassian.net/rest/api/3/search?jql=project%3DAPP&maxResults=50")
    }

    fn signer() -> Signer {
        Signer::new(APP_KEY, Secret::new(SECRET)).with_client_key(CLIENT_KEY)
    }

    fn verifier() -> Verifier {
        Verifier::new(Secret::new(SECRET))
    }

    fn jwt_validation() -> Validation {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[CLIENT_KEY]);
        validation.set_issuer(&[APP_KEY]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation
    }

    fn jwt_decode(token: &str, validation: &Validation) -> Value {
        jsonwebtoken::decode::<Value>(
            token,
            &DecodingKey::from_secret(SECRET.as_bytes()),
            validation,
        )
        .unwrap()
        .claims
    }

    fn jwt_encode(alg: Algorithm, claims: &impl serde::Serialize, secret: &str) -> String {
        jsonwebtoken::encode(
            &Header::new(alg),
            claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    #[test]
    fn jsonwebtoken_decodes_signed_token_claim_by_claim() {
        let token = signer().sign_at("GET", &request(), &base(), NOW);
        let mut validation = jwt_validation();
        validation.validate_exp = false;
        let claims = jwt_decode(token.expose(), &validation);

        assert_eq!(claims["iss"], APP_KEY);
        assert_eq!(claims["iat"], NOW);
        assert_eq!(claims["exp"], NOW + 180);
        assert_eq!(
            claims["qsh"],
            query_string_hash("GET", &request(), &base()).as_str()
        );
        assert_eq!(claims["aud"], CLIENT_KEY);
        assert!(claims.get("sub").is_none());
        assert_eq!(claims.as_object().unwrap().len(), 5, "{claims}");

        // The hash is the documented one: SHA-256 of the canonical request.
        assert_eq!(
            canonical_request("GET", &request(), &base()),
            "GET&/rest/api/3/search&jql=project%3DAPP&maxResults=50"
        );

        let header = jsonwebtoken::decode_header(token.expose()).unwrap();
        assert_eq!(header.alg, Algorithm::HS256);
        assert_eq!(header.typ.as_deref(), Some("JWT"));
    }

    #[test]
    fn jsonwebtoken_accepts_current_token_with_exp_checked() {
        let token =
            signer()
                .with_lifetime(Duration::from_secs(600))
                .sign("POST", &request(), &base());
        let claims = jwt_decode(token.expose(), &jwt_validation());
        let iat = claims["iat"].as_i64().unwrap();
        assert_eq!(claims["exp"].as_i64().unwrap(), iat + 600);
    }

    #[test]
    fn authorization_header_carries_a_verifiable_token() {
        let header = signer().authorization_header("GET", &request(), &base());
        let token = header.expose().strip_prefix("JWT ").unwrap();
        let claims = verifier()
            .with_issuer(APP_KEY)
            .verify(token, "GET", &request(), &base())
            .unwrap();
        assert_eq!(claims.aud.as_deref(), Some(CLIENT_KEY));
        jwt_decode(token, &jwt_validation());
    }

    #[test]
    fn verifier_accepts_jsonwebtoken_hs256_token() {
        let claims = signer().claims_at("GET", &request(), &base(), NOW);
        let token = jwt_encode(Algorithm::HS256, &claims, SECRET);
        let verified = verifier()
            .verify_at(&token, "GET", &request(), &base(), NOW)
            .unwrap();
        assert_eq!(verified, claims);
    }

    #[test]
    fn verifier_accepts_valid_and_just_inside_leeway() {
        let token = signer().sign_at("GET", &request(), &base(), NOW);
        let token = token.expose();
        let v = verifier().with_issuer(APP_KEY);
        for now in [NOW, NOW + 180, NOW + 180 + 30, NOW - 30] {
            let claims = v
                .verify_at(token, "GET", &request(), &base(), now)
                .unwrap_or_else(|e| panic!("now={now}: {e}"));
            assert_eq!(claims.iat, NOW);
        }
        // A wider leeway widens both ends.
        let wide = verifier().with_leeway(Duration::from_secs(300));
        assert!(
            wide.verify_at(token, "GET", &request(), &base(), NOW + 480)
                .is_ok()
        );
        assert!(
            wide.verify_at(token, "GET", &request(), &base(), NOW - 300)
                .is_ok()
        );
    }

    fn none_token(claims: &Claims) -> String {
        format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
        )
    }

    #[test]
    fn verifier_rejects_with_distinct_errors() {
        let good = signer().sign_at("GET", &request(), &base(), NOW);
        let good = good.expose();
        let claims = signer().claims_at("GET", &request(), &base(), NOW);
        let hs512 = jwt_encode(Algorithm::HS512, &claims, SECRET);
        let other_request =
            url("https://example.atlassian.net/rest/api/3/search?jql=project%3DOPS");

        let cases: Vec<(&str, Result<Claims, VerifyError>, VerifyError)> = vec![
            (
                "expired",
                verifier().verify_at(good, "GET", &request(), &base(), NOW + 211),
                VerifyError::Expired {
                    exp: NOW + 180,
                    now: NOW + 211,
                },
            ),
            (
                "not yet valid",
                verifier().verify_at(good, "GET", &request(), &base(), NOW - 31),
                VerifyError::NotYetValid {
                    iat: NOW,
                    now: NOW - 31,
                },
            ),
            (
                "wrong secret",
                Verifier::new(Secret::new("another-secret")).verify_at(
                    good,
                    "GET",
                    &request(),
                    &base(),
                    NOW,
                ),
                VerifyError::BadSignature,
            ),
            (
                "alg none",
                verifier().verify_at(&none_token(&claims), "GET", &request(), &base(), NOW),
                VerifyError::UnsupportedAlgorithm("none".into()),
            ),
            (
                "HS512",
                verifier().verify_at(&hs512, "GET", &request(), &base(), NOW),
                VerifyError::UnsupportedAlgorithm("HS512".into()),
            ),
            (
                "wrong issuer",
                verifier().with_issuer("jira:tenant").verify_at(
                    good,
                    "GET",
                    &request(),
                    &base(),
                    NOW,
                ),
                VerifyError::WrongIssuer {
                    expected: "jira:tenant".into(),
                    found: APP_KEY.into(),
                },
            ),
            (
                "wrong qsh",
                verifier().verify_at(good, "GET", &other_request, &base(), NOW),
                VerifyError::QshMismatch {
                    expected: query_string_hash("GET", &other_request, &base()),
                    found: claims.qsh.clone(),
                },
            ),
            (
                "malformed",
                verifier().verify_at("not-a-jwt", "GET", &request(), &base(), NOW),
                VerifyError::Malformed("expected 3 dot-separated parts, found 1".into()),
            ),
        ];

        for (name, got, want) in &cases {
            assert_eq!(got.as_ref().unwrap_err(), want, "{name}");
            let message = want.to_string();
            assert!(!message.contains(good), "{name}: {message}");
            assert!(!message.contains(SECRET), "{name}: {message}");
        }
        for (i, (a, _, ea)) in cases.iter().enumerate() {
            for (b, _, eb) in &cases[i + 1..] {
                let same = discriminant(ea) == discriminant(eb);
                let both_alg = matches!(ea, VerifyError::UnsupportedAlgorithm(_));
                assert!(!same || both_alg, "{a} and {b} share an error variant");
            }
        }
    }

    #[test]
    fn verifier_rejects_changed_method_path_or_query() {
        let token = signer().sign_at("GET", &request(), &base(), NOW);
        let token = token.expose();
        let others = [
            ("POST", request()),
            (
                "GET",
                url("https://example.atlassian.net/rest/api/3/search"),
            ),
            (
                "GET",
                url(
                    "https://example.atlassian.net/rest/api/3/search?jql=project%3DAPP&maxResults=51",
                ),
            ),
            (
                "GET",
                url(
                    "https://example.atlassian.net/rest/api/2/search?jql=project%3DAPP&maxResults=50",
                ),
            ),
        ];
        for (method, other) in &others {
            let err = verifier()
                .verify_at(token, method, other, &base(), NOW)
                .unwrap_err();
            assert!(
                matches!(err, VerifyError::QshMismatch { .. }),
                "{method} {other}: {err:?}"
            );
        }
        // Parameter order, `+` versus `%20` and the jwt parameter do not matter.
        let equivalent = url(
            "https://example.atlassian.net/rest/api/3/search?maxResults=50&jwt=x&jql=project%3dAPP",
        );
        assert!(
            verifier()
                .verify_at(token, "get", &equivalent, &base(), NOW)
                .is_ok()
        );
    }

    #[test]
    fn verifier_rejects_context_qsh() {
        let mut claims = signer().claims_at("GET", &request(), &base(), NOW);
        claims.qsh = "context-qsh".into();
        let token = jwt_encode(Algorithm::HS256, &claims, SECRET);
        let err = verifier()
            .verify_at(&token, "GET", &request(), &base(), NOW)
            .unwrap_err();
        assert!(
            matches!(err, VerifyError::QshMismatch { ref found, .. } if found == "context-qsh")
        );
    }

    #[test]
    fn verifier_rejects_tampered_claims() {
        let token = signer().sign_at("GET", &request(), &base(), NOW);
        let mut parts: Vec<String> = token.expose().split('.').map(str::to_owned).collect();
        let mut claims = signer().claims_at("GET", &request(), &base(), NOW);
        claims.exp += 3600;
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        let err = verifier()
            .verify_at(&parts.join("."), "GET", &request(), &base(), NOW)
            .unwrap_err();
        assert_eq!(err, VerifyError::BadSignature);
    }

    #[test]
    fn verifier_rejects_other_algorithm_spellings() {
        let claims = signer().claims_at("GET", &request(), &base(), NOW);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        for alg in ["hs256", "HS384", "RS256", ""] {
            let header = URL_SAFE_NO_PAD.encode(json!({ "alg": alg, "typ": "JWT" }).to_string());
            let token = format!("{header}.{body}.AAAA");
            let err = verifier()
                .verify_at(&token, "GET", &request(), &base(), NOW)
                .unwrap_err();
            assert_eq!(err, VerifyError::UnsupportedAlgorithm(alg.into()));
        }
    }

    #[test]
    fn verifier_reports_malformed_tokens() {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&signer().claims_at("GET", &request(), &base(), NOW)).unwrap(),
        );
        let no_qsh = URL_SAFE_NO_PAD.encode(r#"{"iss":"a","iat":1,"exp":2}"#);
        let tokens = [
            String::new(),
            "a.b".to_string(),
            format!("{header}.{claims}.sig.extra"),
            format!("!!!.{claims}.AAAA"),
            format!("{header}.{claims}.!!!"),
            format!("{header}=.{claims}.AAAA"),
            format!("{}.{claims}.AAAA", URL_SAFE_NO_PAD.encode("not json")),
            format!(
                "{}.{claims}.AAAA",
                URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT"}"#)
            ),
            format!("{header}.{}.AAAA", URL_SAFE_NO_PAD.encode("[1,2]")),
            format!("{header}.{no_qsh}.AAAA"),
        ];
        for token in &tokens {
            let err = verifier()
                .verify_at(token, "GET", &request(), &base(), NOW)
                .unwrap_err();
            assert!(
                matches!(err, VerifyError::Malformed(_)),
                "{token:?}: {err:?}"
            );
        }
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let signer = signer();
        let shown = format!("{signer:?}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.contains(APP_KEY), "{shown}");
        let verifier = verifier().with_issuer("jira:tenant");
        let shown = format!("{verifier:?}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.contains("jira:tenant"), "{shown}");
        let token = signer.sign_at("GET", &request(), &base(), NOW);
        assert_eq!(format!("{token:?}"), "Secret(***)");
    }

    /// Shared secret of Atlassian's interoperability vectors.
    const INTEROP_SECRET: &str = "s0m3-sh@r3d-s3cr37";
    /// `iat` of every interoperability token (exp is iat + 180).
    const INTEROP_IAT: i64 = 1_392_204_462;

    /// (name, signed URL, canonical request) generated by Atlassian's Java
    /// reference implementation (`JwtSigningInteroperabilityTest`, shipped as
    /// `test/resources/jwt-signed-urls.json` in atlassian-connect-express),
    /// kept as a fixture that the SDK's Connect tests read too.
    fn interop() -> Vec<(String, String, String)> {
        let vectors: Vec<Value> =
            serde_json::from_str(include_str!("fixtures/connect-interop.json")).unwrap();
        vectors
            .iter()
            .map(|v| {
                let field = |name: &str| v[name].as_str().unwrap().to_string();
                (field("name"), field("signed_url"), field("canonical"))
            })
            .collect()
    }

    #[test]
    fn atlassian_interop_vectors_canonicalise_and_verify() {
        let base = url("https://example.com");
        let verifier =
            Verifier::new(Secret::new(INTEROP_SECRET)).with_issuer("jira:1234-5678-9000");
        for (name, signed, expected) in interop() {
            let signed = url(&signed);
            assert_eq!(canonical_request("GET", &signed, &base), expected, "{name}");
            let token = signed
                .query_pairs()
                .find(|(k, _)| k == "jwt")
                .map(|(_, v)| v.into_owned())
                .unwrap();
            let claims = verifier
                .verify_at(&token, "GET", &signed, &base, INTEROP_IAT)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(claims.sub.as_deref(), Some("123456789"), "{name}");
            assert_eq!(claims.exp, INTEROP_IAT + 180, "{name}");
        }
    }

    #[test]
    fn ampersand_in_path_is_escaped_unlike_the_2014_vectors() {
        // The 2014 vectors kept a literal `&` in the path; current Atlassian
        // libraries escape it so `/a&b=c` and `/a?b=c` cannot share a hash.
        let signed = url("https://example.com/path!$&'()*+,;=?a=b");
        assert_eq!(
            canonical_request("GET", &signed, &url("https://example.com")),
            "GET&/path!$%26'()*+,;=&a=b"
        );
    }

    #[test]
    fn confluence_context_path_is_excluded_from_qsh() {
        let base = url("https://example.atlassian.net/wiki");
        let with_context = url("https://example.atlassian.net/wiki/rest/api/space?limit=5");
        let at_root = url("https://example.atlassian.net/rest/api/space?limit=5");
        assert_eq!(
            query_string_hash("GET", &with_context, &base),
            query_string_hash("GET", &at_root, &url("https://example.atlassian.net"))
        );
        let token =
            Signer::new(APP_KEY, Secret::new(SECRET)).sign_at("GET", &with_context, &base, NOW);
        assert!(
            verifier()
                .verify_at(token.expose(), "GET", &with_context, &base, NOW)
                .is_ok()
        );
    }
}
