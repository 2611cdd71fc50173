//! Property tests of Connect JWT request binding (issue 8, parts 3b and 6).
//!
//! `canonical_request` is compared with a second, deliberately plain
//! implementation of Atlassian's rules written here from the description,
//! over generated methods, context paths, paths and query strings (unicode,
//! reserved characters, repeated keys, empty values, odd escapes). Then the
//! `Verifier` is checked as a whole: a token verifies for exactly the
//! requests with the same canonical form, tampering never verifies, time
//! checks hold at the extremes, and combined faults are reported in a fixed
//! order. The fixed cases of each rejection (expired, not yet valid, wrong
//! secret, `alg: none`, HS512, wrong issuer, wrong qsh, malformed) are in
//! `tests/connect_jwt.rs` (`verifier_rejects_with_distinct_errors`).

use appsec_runtime::Secret;
use appsec_runtime::connect_jwt::{
    Claims, Signer, Verifier, VerifyError, canonical_request, query_string_hash,
};
use proptest::prelude::*;
use proptest::sample::Index;
use reqwest::Url;

// ------------------------------------------------------------ the reference

/// `METHOD&path&query`, computed the plain way.
fn reference_canonical(method: &str, url: &Url, base: &Url) -> String {
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        reference_path(url.path(), base.path()),
        reference_query(url.query().unwrap_or(""))
    )
}

/// The path below the base URL's context path (stripped only as whole
/// segments), without one trailing slash, starting with `/`, with `&`
/// escaped; otherwise as sent.
fn reference_path(path: &str, base_path: &str) -> String {
    let context = base_path.trim_end_matches('/');
    let mut rest = path;
    if !context.is_empty() {
        if path == context {
            rest = "";
        } else if path.starts_with(&format!("{context}/")) {
            rest = &path[context.len()..];
        }
    }
    let mut rest = rest.to_string();
    if rest.ends_with('/') {
        rest.pop();
    }
    if !rest.starts_with('/') {
        rest.insert(0, '/');
    }
    rest.replace('&', "%26")
}

/// Decodes pairs, drops `jwt`, groups values by name, sorts names by their
/// encoded form and values by UTF-16 code units, encodes, joins.
fn reference_query(raw: &str) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for piece in raw.split('&') {
        if piece.is_empty() {
            continue;
        }
        let (name, value) = match piece.find('=') {
            Some(i) => (&piece[..i], &piece[i + 1..]),
            None => (piece, ""),
        };
        let name = decode(name);
        if name == "jwt" {
            continue;
        }
        pairs.push((name, decode(value)));
    }
    reference_query_of(&pairs)
}

/// The canonical query of already decoded pairs.
fn reference_query_of(pairs: &[(String, String)]) -> String {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (name, value) in pairs {
        if name == "jwt" {
            continue;
        }
        let key = encode(name);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, values)) => values.push(value.clone()),
            None => groups.push((key, vec![value.clone()])),
        }
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::new();
    for (name, mut values) in groups {
        values.sort_by(|a, b| {
            let a: Vec<u16> = a.encode_utf16().collect();
            let b: Vec<u16> = b.encode_utf16().collect();
            a.cmp(&b)
        });
        let values: Vec<String> = values.iter().map(|v| encode(v)).collect();
        out.push(format!("{name}={}", values.join(",")));
    }
    out.join("&")
}

/// `+` is a space, `%XX` a byte, anything else itself; then UTF-8, with
/// invalid sequences replaced.
fn decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < bytes.len()
                && hex(bytes[i + 1]).is_some()
                && hex(bytes[i + 2]).is_some() =>
            {
                out.push(hex(bytes[i + 1]).unwrap() * 16 + hex(bytes[i + 2]).unwrap());
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Upper-case `%XX` for every UTF-8 byte except `A-Za-z0-9-._~`.
fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[test]
fn the_reference_agrees_with_the_documented_examples() {
    // Atlassian's interoperability vector and the runtime's own doc example.
    let u = |s: &str| Url::parse(s).unwrap();
    assert_eq!(
        reference_canonical("GET", &u("https://h/test?param=value"), &u("https://h")),
        "GET&/test&param=value"
    );
    assert_eq!(
        reference_canonical(
            "get",
            &u("https://example.atlassian.net/wiki/rest/api/content/?limit=10&expand=a+b&jwt=x"),
            &u("https://example.atlassian.net/wiki"),
        ),
        "GET&/rest/api/content&expand=a%20b&limit=10"
    );
    assert_eq!(
        reference_query("q=%EF%BD%A1&q=%F0%9F%98%80"),
        "q=%F0%9F%98%80,%EF%BD%A1"
    );
    assert_eq!(reference_query("c=%2B&c=%2520&c=+&c="), "c=,%20,%2520,%2B");
    assert_eq!(decode("%zz%4"), "%zz%4");
    assert_eq!(decode("%41%4a%4A"), "AJJ");
}

// ------------------------------------------------------------ generators

/// Characters chosen to hit every rule: unreserved, reserved and
/// sub-delimiters, `%` and `+`, space, accents, a BMP character above the
/// surrogates (U+FF61) and astral ones (whose UTF-16 order differs from
/// their UTF-8 order), and a right-to-left mark.
fn arb_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::range('a', 'e'),
        2 => prop::char::range('A', 'C'),
        1 => prop::char::range('0', '2'),
        4 => prop::sample::select(vec![
            '-', '.', '_', '~', '!', '*', '\'', '(', ')', ';', ':', '@', '&', '=', '+', '$', ',',
            '/', '?', '#', '[', ']', '%', ' ', '"', '<', '>', '\\', '^', '`', '{', '|', '}',
        ]),
        2 => prop::sample::select(vec![
            'é', 'ü', 'ß', 'Ω', '中', '\u{FF61}', '\u{FFFD}', '😀', '𝄞', '\u{200F}', '\u{7f}',
        ]),
        1 => any::<char>(),
    ]
}

fn arb_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(arb_char(), 0..=max).prop_map(|c| c.into_iter().collect())
}

/// Names from a small pool (so keys repeat), `jwt` and `JWT`, or anything.
fn arb_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec!["a", "b", "B", "a1", "a10", "jql", "expand", "é", "a b"])
            .prop_map(str::to_string),
        1 => prop::sample::select(vec!["jwt", "JWT"]).prop_map(str::to_string),
        2 => arb_text(4),
    ]
}

/// Values, often empty or shared between pairs.
fn arb_value() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        1 => prop::sample::select(vec!["1", "2", "x,y", "a b", "+", "%"]).prop_map(str::to_string),
        // Where UTF-16 and UTF-8 (byte) order disagree: U+E000..U+FFFF
        // against characters outside the BMP.
        1 => prop::sample::select(vec!["\u{FF61}", "\u{E000}z", "😀", "😀a", "\u{10000}", "\u{FFFD}"])
            .prop_map(str::to_string),
        3 => arb_text(6),
    ]
}

/// How one character is written into a query.
#[derive(Debug, Clone, Copy)]
enum Spelling {
    /// As it is, where that keeps its meaning (never for `&=#%+`).
    Raw,
    /// `%XX` with upper-case hex.
    Upper,
    /// `%xx` with lower-case hex.
    Lower,
}

fn arb_spelling() -> impl Strategy<Value = Vec<Spelling>> {
    prop::collection::vec(
        prop::sample::select(vec![Spelling::Raw, Spelling::Upper, Spelling::Lower]),
        64,
    )
}

/// Writes `text` so that it decodes back to itself, each character spelt
/// as `spelling` says (cycling); a space may also become `+`.
fn spell(text: &str, spelling: &[Spelling], in_name: bool) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        let how = spelling[i % spelling.len()];
        // Raw, these would change meaning, or be dropped or trimmed by the
        // URL parser (tab, line breaks, a trailing space).
        let must_escape =
            matches!(c, '&' | '#' | '%' | '+') || (in_name && c == '=') || c.is_ascii_control();
        match how {
            Spelling::Raw if c == ' ' => out.push('+'),
            Spelling::Raw if !must_escape => out.push(c),
            Spelling::Lower => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02x}"));
                }
            }
            _ => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

fn spell_query(pairs: &[(String, String)], spelling: &[Spelling], bare: &[bool]) -> String {
    pairs
        .iter()
        .enumerate()
        .map(|(i, (name, value))| {
            let name = spell(name, spelling, true);
            // An empty value may be written `name=` or just `name` (but a
            // bare empty name would be no pair at all).
            if value.is_empty() && !name.is_empty() && bare[i % bare.len()] {
                name
            } else {
                format!("{name}={}", spell(value, &spelling[i % 7..], false))
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn arb_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((arb_name(), arb_value()), 0..8)
}

/// A base URL with a context path (or none), and a request path below it,
/// beside it (`/wikipedia` for `/wiki`), or elsewhere.
fn arb_base_and_path() -> impl Strategy<Value = (String, String)> {
    let context = prop::sample::select(vec!["", "/", "/wiki", "/wiki/", "/jira/ctx", "/a%20b"]);
    let segment = prop_oneof![
        3 => "[a-z0-9]{1,6}".boxed(),
        1 => arb_text(5)
            .prop_map(|s| s.replace(['?', '#', '%', '/', '\\'], "-"))
            .boxed(),
        1 => prop::sample::select(vec!["rest", "api", "3", "wikipedia", "wiki", "a&b", "%41", ""])
            .prop_map(str::to_string)
            .boxed(),
    ];
    let segments = prop::collection::vec(segment, 0..5);
    (context, segments, any::<bool>(), any::<bool>()).prop_map(
        |(context, segments, under, trailing)| {
            let base = format!("https://example.atlassian.net{context}");
            let prefix = if under {
                context.trim_end_matches('/')
            } else {
                ""
            };
            let mut path = format!("{prefix}/{}", segments.join("/"));
            if trailing {
                path.push('/');
            }
            (base, path)
        },
    )
}

fn arb_method() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec!["GET", "get", "Post", "PUT", "delete", "PATCH", "head"])
            .prop_map(str::to_string),
        1 => "[A-Za-z]{1,8}",
    ]
}

/// A raw query as anyone might type it: stray `%`, bad escapes, invalid
/// UTF-8 escapes, `==`, `&&`, `+`.
fn arb_raw_query() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => arb_text(4),
        2 => prop::sample::select(vec![
            "%", "%2", "%zz", "%C3", "%C3%28", "%FF", "%ED%A0%80", "%F0%9F%98", "%2B", "%2b",
            "%20", "+", "=", "==", "&", "&&", "jwt=abc", "JWT=1", "a=", "=b", "%26", "%3D",
        ])
        .prop_map(str::to_string),
    ];
    prop::collection::vec(piece, 0..10).prop_map(|p| p.concat())
}

fn url_for(base: &str, path: &str, query: &str) -> Option<(Url, Url)> {
    let base = Url::parse(base).ok()?;
    let url = Url::parse(&format!("https://example.atlassian.net{path}?{query}")).ok()?;
    Some((url, base))
}

// ------------------------------------------------------------ canonical form

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    /// The runtime and the reference agree on every generated request.
    #[test]
    fn canonical_request_matches_the_reference(
        method in arb_method(),
        (base, path) in arb_base_and_path(),
        pairs in arb_pairs(),
        spelling in arb_spelling(),
        bare in prop::collection::vec(any::<bool>(), 8),
    ) {
        let query = spell_query(&pairs, &spelling, &bare);
        let Some((url, base)) = url_for(&base, &path, &query) else {
            return Err(TestCaseError::reject("not a URL"));
        };
        prop_assert_eq!(
            canonical_request(&method, &url, &base),
            reference_canonical(&method, &url, &base),
            "url {}", url
        );
    }

    /// However the pairs are spelt, the canonical query is the one of the
    /// decoded pairs: the decoding is right, not only consistent.
    #[test]
    fn the_canonical_query_depends_only_on_the_decoded_pairs(
        pairs in arb_pairs(),
        spelling in arb_spelling(),
        bare in prop::collection::vec(any::<bool>(), 8),
    ) {
        let query = spell_query(&pairs, &spelling, &bare);
        let (url, base) = url_for("https://h.example", "/p", &query).unwrap();
        let canonical = canonical_request("GET", &url, &base);
        let expected = format!("GET&/p&{}", reference_query_of(&pairs));
        prop_assert_eq!(canonical, expected, "query {}", query);
    }

    /// Odd raw queries (bad escapes, invalid UTF-8, stray separators).
    #[test]
    fn raw_queries_canonicalise_like_the_reference(
        (base, path) in arb_base_and_path(),
        query in arb_raw_query(),
    ) {
        let Some((url, base)) = url_for(&base, &path, &query) else {
            return Err(TestCaseError::reject("not a URL"));
        };
        prop_assert_eq!(
            canonical_request("GET", &url, &base),
            reference_canonical("GET", &url, &base),
            "url {}", url
        );
    }

    /// Order, spelling and a `jwt` parameter do not change the hash.
    #[test]
    fn equivalent_requests_share_a_qsh(
        pairs in arb_pairs(),
        spelling_a in arb_spelling(),
        spelling_b in arb_spelling(),
        bare in prop::collection::vec(any::<bool>(), 8),
        shuffle in any::<Index>(),
        jwt in "[A-Za-z0-9._-]{0,20}",
    ) {
        let mut shuffled = pairs.clone();
        if !shuffled.is_empty() {
            let k = shuffle.index(shuffled.len());
            shuffled.rotate_left(k);
        }
        shuffled.push(("jwt".into(), jwt));
        let a = spell_query(&pairs, &spelling_a, &bare);
        let b = spell_query(&shuffled, &spelling_b, &bare);
        let (ua, base) = url_for("https://h.example/wiki", "/wiki/rest/x", &a).unwrap();
        let (ub, _) = url_for("https://h.example/wiki", "/wiki/rest/x/", &b).unwrap();
        prop_assert_eq!(
            query_string_hash("GET", &ua, &base),
            query_string_hash("get", &ub, &base),
            "{} vs {}", a, b
        );
    }

    /// Different decoded queries never share a canonical form (no qsh
    /// collision short of SHA-256 itself).
    #[test]
    fn different_queries_have_different_canonical_forms(
        a in arb_pairs(),
        b in arb_pairs(),
        spelling in arb_spelling(),
        bare in prop::collection::vec(any::<bool>(), 8),
    ) {
        let grouped = |pairs: &[(String, String)]| {
            let mut kept: Vec<(String, String)> =
                pairs.iter().filter(|(n, _)| n != "jwt").cloned().collect();
            kept.sort();
            kept
        };
        let (ua, base) = url_for("https://h.example", "/p", &spell_query(&a, &spelling, &bare)).unwrap();
        let (ub, _) = url_for("https://h.example", "/p", &spell_query(&b, &spelling, &bare)).unwrap();
        let same_pairs = grouped(&a) == grouped(&b);
        let same_form = canonical_request("GET", &ua, &base) == canonical_request("GET", &ub, &base);
        prop_assert_eq!(same_pairs, same_form, "{:?} vs {:?}", a, b);
    }
}

// ------------------------------------------------------------ the verifier

const SECRET: &str = "qsh-props-shared-secret";
const NOW: i64 = 1_700_000_000;

fn signer() -> Signer {
    Signer::new("com.example.props", Secret::new(SECRET))
}

fn verifier() -> Verifier {
    Verifier::new(Secret::new(SECRET))
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact token with any header and claims, HMAC-SHA256-signed with `secret`.
fn hs256(header: &str, claims: &Claims, secret: &str) -> String {
    use hmac::Mac as _;
    let input = format!(
        "{}.{}",
        b64(header.as_bytes()),
        b64(&serde_json::to_vec(claims).unwrap())
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", b64(&mac.finalize().into_bytes()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// A token signed for one request verifies for another exactly when
    /// both have the same canonical form; otherwise it is a qsh mismatch.
    #[test]
    fn a_token_verifies_for_exactly_the_requests_it_was_signed_for(
        (base, path) in arb_base_and_path(),
        a in arb_pairs(),
        b in arb_pairs(),
        method_a in arb_method(),
        method_b in arb_method(),
        spelling in arb_spelling(),
        bare in prop::collection::vec(any::<bool>(), 8),
    ) {
        let Some((ua, base)) = url_for(&base, &path, &spell_query(&a, &spelling, &bare)) else {
            return Err(TestCaseError::reject("not a URL"));
        };
        let ub = Url::parse(&format!("{}?{}", ua.as_str().split('?').next().unwrap(), spell_query(&b, &spelling, &bare))).unwrap();
        let token = signer().sign_at(&method_a, &ua, &base, NOW);
        let result = verifier().verify_at(token.expose(), &method_b, &ub, &base, NOW);
        let same = canonical_request(&method_a, &ua, &base) == canonical_request(&method_b, &ub, &base);
        match result {
            Ok(_) => prop_assert!(same),
            Err(VerifyError::QshMismatch { .. }) => prop_assert!(!same),
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
    }

    /// Changing any one character of a valid token never yields a token
    /// that verifies.
    #[test]
    fn a_tampered_token_never_verifies(
        at in any::<Index>(),
        with in prop::sample::select(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ".chars().collect::<Vec<_>>()
        ),
    ) {
        let url = Url::parse("https://h.example/rest/api/3/issue?fields=a,b").unwrap();
        let base = Url::parse("https://h.example").unwrap();
        let token = signer().sign_at("GET", &url, &base, NOW);
        let mut chars: Vec<char> = token.expose().chars().collect();
        let i = at.index(chars.len());
        prop_assume!(chars[i] != with);
        chars[i] = with;
        let tampered: String = chars.into_iter().collect();
        prop_assert!(verifier().verify_at(&tampered, "GET", &url, &base, NOW).is_err());
    }

    /// Any string as a token: an error, never a panic.
    #[test]
    fn any_string_as_a_token_is_an_error(token in prop_oneof![
        ".{0,64}",
        "[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,80}\\.[A-Za-z0-9_-]{0,50}",
    ]) {
        let url = Url::parse("https://h.example/p").unwrap();
        prop_assert!(verifier().verify_at(&token, "GET", &url, &url, NOW).is_err());
    }

    /// Correctly signed tokens with any `iat`, `exp`, clock and leeway,
    /// extremes included: expired exactly when `exp + leeway < now`, not
    /// yet valid exactly when `iat - leeway > now`, and no overflow.
    #[test]
    fn time_checks_hold_at_any_values(
        iat in prop_oneof![any::<i64>(), (NOW - 1000)..(NOW + 1000)],
        exp in prop_oneof![any::<i64>(), (NOW - 1000)..(NOW + 1000)],
        now in prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0), (NOW - 1000)..(NOW + 1000)],
        leeway in prop_oneof![Just(0u64), 0u64..600, Just(u64::MAX)],
    ) {
        let url = Url::parse("https://h.example/p").unwrap();
        let claims = Claims {
            iss: "com.example.props".into(),
            iat,
            exp,
            qsh: query_string_hash("GET", &url, &url),
            aud: None,
            sub: None,
        };
        let token = hs256(r#"{"alg":"HS256","typ":"JWT"}"#, &claims, SECRET);
        let v = verifier().with_leeway(std::time::Duration::from_secs(leeway));
        let result = v.verify_at(&token, "GET", &url, &url, now);
        let leeway = i64::try_from(leeway).unwrap_or(i64::MAX);
        let expired = exp.saturating_add(leeway) < now;
        let early = iat.saturating_sub(leeway) > now;
        match result {
            Ok(_) => prop_assert!(!expired && !early),
            Err(VerifyError::Expired { .. }) => prop_assert!(expired),
            Err(VerifyError::NotYetValid { .. }) => prop_assert!(!expired && early),
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
    }
}

/// With several faults at once the first of a fixed order is reported:
/// format, algorithm, signature, then time, issuer and qsh. So nothing about
/// the claims is revealed for a token whose signature does not hold.
#[test]
fn combined_faults_are_reported_in_a_fixed_order() {
    let url = Url::parse("https://h.example/rest/api/3/myself").unwrap();
    let other = Url::parse("https://h.example/rest/api/3/project").unwrap();
    let base = Url::parse("https://h.example").unwrap();
    let mut claims = signer().claims_at("GET", &url, &base, NOW);
    claims.exp = NOW - 3600; // Expired an hour ago.
    let header = r#"{"alg":"HS256","typ":"JWT"}"#;
    let at = |token: &str, url: &Url| verifier().verify_at(token, "GET", url, &base, NOW);

    // Wrong secret + expired + wrong qsh: the signature is what fails.
    let forged = hs256(header, &claims, "not-the-secret");
    assert_eq!(at(&forged, &other), Err(VerifyError::BadSignature));
    // alg none + expired, and HS512 signed with the right secret + expired:
    // the algorithm is what fails, before signature or time are looked at.
    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none"}"#),
        b64(&serde_json::to_vec(&claims).unwrap())
    );
    assert_eq!(
        at(&none, &url),
        Err(VerifyError::UnsupportedAlgorithm("none".into()))
    );
    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(
        at(&hs512, &other),
        Err(VerifyError::UnsupportedAlgorithm("HS512".into()))
    );
    // An algorithm named in another case is still not HS256.
    for alg in ["hs256", "HS256 ", "Hs256", ""] {
        let token = hs256(&format!(r#"{{"alg":"{alg}"}}"#), &claims, SECRET);
        assert_eq!(
            at(&token, &url),
            Err(VerifyError::UnsupportedAlgorithm(alg.into())),
            "{alg:?}"
        );
    }
    // A header naming `alg` twice is malformed, not read either way.
    let twice = hs256(r#"{"alg":"none","alg":"HS256"}"#, &claims, SECRET);
    assert!(matches!(at(&twice, &url), Err(VerifyError::Malformed(_))));
    // Correct signature, expired and wrong qsh: expiry comes first.
    let expired = hs256(header, &claims, SECRET);
    assert!(matches!(
        at(&expired, &other),
        Err(VerifyError::Expired { .. })
    ));
    // Correct signature and time, wrong qsh.
    let fresh = signer().sign_at("GET", &url, &base, NOW);
    assert!(matches!(
        at(fresh.expose(), &other),
        Err(VerifyError::QshMismatch { .. })
    ));
    assert!(at(fresh.expose(), &url).is_ok());
}
