//! Request-body checks derived from the spec.
//!
//! `cargo xtask generate` reads each request schema's constraints and writes
//! them into the generated crate as static [`Schema`] trees, with a
//! [`Validate`] impl for every generated type that has some. Each generated
//! operation checks its body before anything is sent, so a violation ends the
//! call as an invalid request.
//!
//! The checks run on the body as it would be sent (its JSON form), so names
//! and absent fields are exactly the wire's: a path reads
//! `vulnerabilities[3].identifiers`, and an empty list the client leaves out
//! is not "too short".
//!
//! ```
//! use appsec_runtime::validate::{Check, Schema, check};
//!
//! static IDS: Schema = Schema {
//!     checks: &[Check::MaxItems(2)],
//!     ..Schema::EMPTY
//! };
//! static BODY: Schema = Schema {
//!     required: &["ids"],
//!     properties: &[("ids", &IDS)],
//!     ..Schema::EMPTY
//! };
//! let err = check(&serde_json::json!({"ids": [1, 2, 3]}), &BODY).unwrap_err();
//! assert_eq!(err.to_string(), "ids: has 3 items; at most 2 are allowed");
//! assert!(check(&serde_json::json!({"ids": []}), &BODY).is_ok());
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;
use serde_json::Value;

mod stream;
use stream::{OwnedStep, Stop};

/// A value the spec says the service would refuse.
pub trait Validate {
    /// Checks every constraint the spec records for this type.
    fn validate(&self) -> Result<(), Violation>;
}

/// One constraint on one value.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Check {
    /// `minItems`.
    MinItems(usize),
    /// `maxItems`.
    MaxItems(usize),
    /// `uniqueItems: true`.
    UniqueItems,
    /// `minLength`, in characters.
    MinLength(usize),
    /// `maxLength`, in characters.
    MaxLength(usize),
    /// `pattern`: an ECMA-262 regular expression that must match somewhere.
    Pattern(&'static str),
    /// `format: uri`: an absolute URI in RFC 3986 syntax.
    Uri,
    /// `minProperties`.
    MinProperties(usize),
    /// `maxProperties`.
    MaxProperties(usize),
    /// `minimum`.
    Minimum(f64),
    /// `maximum`.
    Maximum(f64),
    /// `minimum` with `exclusiveMinimum: true`.
    ExclusiveMinimum(f64),
    /// `maximum` with `exclusiveMaximum: true`.
    ExclusiveMaximum(f64),
}

/// The constraints of one schema and of what it contains. Each check applies
/// only to values of the kind it is about (a length to strings, a count of
/// items to arrays), so a type mismatch is left to decoding.
#[derive(Debug, PartialEq)]
pub struct Schema {
    /// Checks on the value itself.
    pub checks: &'static [Check],
    /// Properties an object must have.
    pub required: &'static [&'static str],
    /// Schemas of named properties, where they have constraints.
    pub properties: &'static [(&'static str, &'static Schema)],
    /// The schema of every other property's value (`additionalProperties`).
    pub values: Option<&'static Schema>,
    /// The schema of every array item.
    pub items: Option<&'static Schema>,
    /// `allOf`: every one must hold.
    pub all_of: &'static [&'static Schema],
    /// `anyOf` / `oneOf`: at least one must hold.
    pub any_of: &'static [&'static Schema],
}

impl Schema {
    /// A schema without constraints, to build others from.
    pub const EMPTY: Schema = Schema {
        checks: &[],
        required: &[],
        properties: &[],
        values: None,
        items: None,
        all_of: &[],
        any_of: &[],
    };
}

/// Where a violation is and which rule it breaks, e.g.
/// `vulnerabilities[3].identifiers: has 101 items; at most 100 are allowed`.
/// The offending value is never repeated.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Violation {
    path: String,
    rule: String,
}

impl Violation {
    /// The value's path in the body (`""` for the body itself).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The rule it breaks.
    pub fn rule(&self) -> &str {
        &self.rule
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.rule)
        } else {
            write!(f, "{}: {}", self.path, self.rule)
        }
    }
}

impl std::error::Error for Violation {}

/// Checks `value`, as it serializes to JSON, against `schema`.
///
/// Most bodies are checked while they serialize, without a copy of them as
/// a JSON tree (see `stream`); the parts that need the whole value at once
/// (`anyOf`, `allOf`, unique items) are checked on their tree. When a
/// value breaks several rules, the one reported is the first in the order
/// the body is written.
pub fn check<T: Serialize + ?Sized>(value: &T, schema: &Schema) -> Result<(), Violation> {
    match stream::check(value, schema) {
        Ok(()) => Ok(()),
        Err(Stop::Rule { path, rule }) => {
            let path: Vec<Step<'_>> = path
                .iter()
                .map(|step| match step {
                    OwnedStep::Key(key) => Step::Key(key),
                    OwnedStep::Index(i) => Step::Index(*i),
                })
                .collect();
            Err(Violation {
                path: render(&path),
                rule,
            })
        }
        Err(Stop::Encode(e)) => Err(unencodable(e)),
        Err(Stop::Tree) => check_tree(value, schema),
    }
}

/// The violation of a value that does not serialize at all.
fn unencodable(e: impl fmt::Display) -> Violation {
    Violation {
        path: String::new(),
        rule: format!("cannot be encoded as JSON: {e}"),
    }
}

/// [`check`] on the value's JSON tree.
fn check_tree<T: Serialize + ?Sized>(value: &T, schema: &Schema) -> Result<(), Violation> {
    let json = serde_json::to_value(value).map_err(unencodable)?;
    let mut path = Vec::new();
    walk(&json, schema, &mut path).map_err(|rule| Violation {
        path: render(&path),
        rule,
    })
}

/// One step from a value to a part of it.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Checks one value; on failure `path` is left pointing at the culprit.
fn walk<'a>(value: &'a Value, schema: &Schema, path: &mut Vec<Step<'a>>) -> Result<(), String> {
    for check in schema.checks {
        apply(*check, value)?;
    }
    for part in schema.all_of {
        walk(value, part, path)?;
    }
    if !schema.any_of.is_empty() {
        let depth = path.len();
        let mut first: Option<(String, Vec<Step<'a>>)> = None;
        for part in schema.any_of {
            let outcome = walk(value, part, path);
            let inner = path.split_off(depth);
            match outcome {
                Ok(()) => {
                    first = None;
                    break;
                }
                Err(rule) if first.is_none() => first = Some((rule, inner)),
                Err(_) => {}
            }
        }
        // None of them holds: report what the first one found.
        if let Some((rule, inner)) = first {
            path.extend(inner);
            return Err(rule);
        }
    }
    match value {
        Value::Object(map) => {
            for name in schema.required {
                if !map.contains_key(*name) {
                    path.push(Step::Key(name));
                    return Err("is required".into());
                }
            }
            for (key, inner) in map {
                let named = schema.properties.iter().find(|(n, _)| n == key);
                let inner_schema = match named {
                    Some((_, s)) => Some(*s),
                    None => schema.values,
                };
                if let Some(inner_schema) = inner_schema {
                    path.push(Step::Key(key));
                    walk(inner, inner_schema, path)?;
                    path.pop();
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.items {
                for (i, item) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    walk(item, item_schema, path)?;
                    path.pop();
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn apply(check: Check, value: &Value) -> Result<(), String> {
    match (check, value) {
        (Check::UniqueItems, Value::Array(a)) => match repeated(a) {
            Some(i) => Err(format!(
                "item {i} repeats an earlier one; items must be unique"
            )),
            None => Ok(()),
        },
        (_, Value::Array(a)) => apply_to_len(check, a.len(), true),
        (_, Value::Object(m)) => apply_to_len(check, m.len(), false),
        (_, Value::String(s)) => apply_to_str(check, s),
        (_, Value::Number(n)) => n.as_f64().map_or(Ok(()), |n| apply_to_number(check, n)),
        _ => Ok(()),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The size checks of a list (`list`) or an object of `len` members.
fn apply_to_len(check: Check, len: usize, list: bool) -> Result<(), String> {
    match check {
        Check::MinItems(min) if list && len < min => Err(format!(
            "has {}; at least {} required",
            plural(len, "item", "items"),
            plural(min, "is", "are")
        )),
        Check::MaxItems(max) if list && len > max => Err(format!(
            "has {len} items; at most {max} {} allowed",
            if max == 1 { "is" } else { "are" }
        )),
        Check::MinProperties(min) if !list && len < min => Err(format!(
            "has {}; at least {} required",
            plural(len, "entry", "entries"),
            plural(min, "is", "are")
        )),
        Check::MaxProperties(max) if !list && len > max => {
            Err(format!("has {len} entries; at most {max} allowed"))
        }
        _ => Ok(()),
    }
}

/// The checks of a string.
fn apply_to_str(check: Check, s: &str) -> Result<(), String> {
    match (check, s) {
        // A string has at most as many characters as bytes and at least a
        // quarter as many, so the byte length alone settles most bounds
        // and the characters are counted only when it does not.
        (Check::MinLength(min), s)
            if s.len() < min.saturating_mul(4) && s.chars().count() < min =>
        {
            Err(format!(
                "is {} long; at least {} required",
                plural(s.chars().count(), "character", "characters"),
                plural(min, "is", "are")
            ))
        }
        (Check::MaxLength(max), s) if s.len() > max && s.chars().count() > max => Err(format!(
            "is {} characters long; at most {max} allowed",
            s.chars().count()
        )),
        (Check::Pattern(pattern), s) if !matches(pattern, s) => {
            Err(format!("does not match the pattern {pattern}"))
        }
        (Check::Uri, s) if !is_absolute_uri(s) => Err("is not an absolute URI".into()),
        _ => Ok(()),
    }
}

/// The checks of a number.
fn apply_to_number(check: Check, n: f64) -> Result<(), String> {
    match check {
        Check::Minimum(min) if n < min => Err(format!("is below the minimum {min}")),
        Check::Maximum(max) if n > max => Err(format!("is above the maximum {max}")),
        Check::ExclusiveMinimum(min) if n <= min => Err(format!("must be above {min}")),
        Check::ExclusiveMaximum(max) if n >= max => Err(format!("must be below {max}")),
        _ => Ok(()),
    }
}

/// The index of the first item equal to an earlier one.
fn repeated(items: &[Value]) -> Option<usize> {
    (1..items.len()).find(|&i| items[..i].contains(&items[i]))
}

/// Whether `pattern` matches somewhere in `text`, compiling each pattern
/// once per process. A pattern that does not compile (the generator refuses
/// those) checks nothing.
fn matches(pattern: &'static str, text: &str) -> bool {
    type Cache = Mutex<HashMap<&'static str, Option<Arc<regress::Regex>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let regex = {
        let mut cache = CACHE
            .get_or_init(Cache::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache
            .entry(pattern)
            .or_insert_with(|| regress::Regex::new(pattern).ok().map(Arc::new))
            .clone()
    };
    regex.is_none_or(|regex| regex.find(text).is_some())
}

/// RFC 3986 syntax of an absolute URI: a scheme, `:`, then only unreserved,
/// reserved and percent-encoded characters.
pub fn is_absolute_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut scheme_chars = scheme.chars();
    let scheme_ok = scheme_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme_chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return false;
    }
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return false;
                }
                i += 3;
            }
            b if b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b) => i += 1,
            _ => return false,
        }
    }
    // An authority, when there is one, names a host.
    !(rest.starts_with("//") && rest[2..].starts_with(['/', '?', '#']) && scheme != "file")
        && rest != "//"
}

/// `a.b[3].c`, with keys that are not plain names quoted.
fn render(path: &[Step<'_>]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Index(i) => out.push_str(&format!("[{i}]")),
            Step::Key(key)
                if !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
            {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Key(key) => out.push_str(&format!("[{key:?}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static NAME: Schema = Schema {
        checks: &[Check::MinLength(1), Check::MaxLength(3)],
        ..Schema::EMPTY
    };
    static LINK: Schema = Schema {
        checks: &[Check::Uri],
        ..Schema::EMPTY
    };
    static ITEM: Schema = Schema {
        required: &["name"],
        properties: &[("name", &NAME), ("url", &LINK)],
        ..Schema::EMPTY
    };
    static BODY: Schema = Schema {
        properties: &[(
            "items",
            &Schema {
                checks: &[Check::MinItems(1), Check::MaxItems(2)],
                items: Some(&ITEM),
                ..Schema::EMPTY
            },
        )],
        values: Some(&Schema {
            checks: &[Check::Pattern("^[a-z]+$")],
            ..Schema::EMPTY
        }),
        checks: &[Check::MaxProperties(3)],
        ..Schema::EMPTY
    };

    fn violation(body: Value) -> String {
        check(&body, &BODY).unwrap_err().to_string()
    }

    #[test]
    fn violations_name_the_path_and_the_rule() {
        assert!(check(&json!({"items": [{"name": "a"}], "tag": "x"}), &BODY).is_ok());
        assert_eq!(
            violation(json!({"items": []})),
            "items: has 0 items; at least 1 is required"
        );
        assert_eq!(
            violation(json!({"items": [{"name": "a"}, {"name": "b"}, {"name": "c"}]})),
            "items: has 3 items; at most 2 are allowed"
        );
        assert_eq!(
            violation(json!({"items": [{"name": "a"}, {"name": "abcd"}]})),
            "items[1].name: is 4 characters long; at most 3 allowed"
        );
        assert_eq!(
            violation(json!({"items": [{"url": "x"}]})),
            "items[0].name: is required"
        );
        assert_eq!(
            violation(json!({"items": [{"name": "a", "url": "not a uri"}]})),
            "items[0].url: is not an absolute URI"
        );
        assert_eq!(
            violation(json!({"a.b": "X"})),
            "[\"a.b\"]: does not match the pattern ^[a-z]+$"
        );
        assert_eq!(
            violation(json!({"a": "x", "b": "x", "c": "x", "d": "x"})),
            "has 4 entries; at most 3 allowed"
        );
        // Lengths count characters, not bytes.
        assert!(check(&json!({"items": [{"name": "ééé"}]}), &BODY).is_ok());
    }

    #[test]
    fn lengths_count_characters_of_every_width() {
        static TWO_TO_THREE: Schema = Schema {
            checks: &[Check::MinLength(2), Check::MaxLength(3)],
            ..Schema::EMPTY
        };
        let verdict = |s: &str| check(&json!(s), &TWO_TO_THREE).map_err(|e| e.to_string());
        // One to four bytes per character, at both bounds.
        for ok in ["ab", "abc", "éé", "ééé", "€€€", "𝄞𝄞", "𝄞𝄞𝄞"] {
            assert_eq!(verdict(ok), Ok(()), "{ok}");
        }
        for short in ["a", "é", "€", "𝄞"] {
            assert_eq!(
                verdict(short),
                Err("is 1 character long; at least 2 are required".into())
            );
        }
        for long in ["abcd", "éééé", "€€€€", "𝄞𝄞𝄞𝄞"] {
            assert_eq!(
                verdict(long),
                Err("is 4 characters long; at most 3 allowed".into())
            );
        }
    }

    #[test]
    fn any_of_holds_when_one_member_holds() {
        static EITHER: Schema = Schema {
            any_of: &[&NAME, &LINK],
            ..Schema::EMPTY
        };
        assert!(check(&json!("ab"), &EITHER).is_ok());
        assert!(check(&json!("https://x.example/long-name"), &EITHER).is_ok());
        assert_eq!(
            check(&json!("not a uri"), &EITHER).unwrap_err().to_string(),
            "is 9 characters long; at most 3 allowed"
        );
    }

    #[test]
    fn absolute_uris_follow_rfc_3986_syntax() {
        for ok in [
            "https://example.com",
            "https://example.com/a/b?c=d&e=%20#frag",
            "http://[::1]:8080/x",
            "urn:isbn:0451450523",
            "mailto:someone@example.com",
            "file:///etc/hosts",
            "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
        ] {
            assert!(is_absolute_uri(ok), "{ok}");
        }
        for bad in [
            "",
            "not a uri",
            "example.com/x",
            "/relative/path",
            "//example.com",
            "1http://example.com",
            "https://example.com/a b",
            "https://example.com/%zz",
            "https://example.com/%2",
            "https://exämple.com",
            "https:///path",
            "https://",
            "https://example.com/\n",
        ] {
            assert!(!is_absolute_uri(bad), "{bad}");
        }
    }

    #[test]
    fn unique_items_and_bounds() {
        static UNIQUE: Schema = Schema {
            checks: &[Check::UniqueItems],
            items: Some(&Schema {
                checks: &[Check::Minimum(1.0), Check::ExclusiveMaximum(10.0)],
                ..Schema::EMPTY
            }),
            ..Schema::EMPTY
        };
        assert!(check(&json!([1, 2, 9]), &UNIQUE).is_ok());
        assert_eq!(
            check(&json!([1, 2, 1]), &UNIQUE).unwrap_err().to_string(),
            "item 2 repeats an earlier one; items must be unique"
        );
        assert_eq!(
            check(&json!([0]), &UNIQUE).unwrap_err().to_string(),
            "[0]: is below the minimum 1"
        );
        assert_eq!(
            check(&json!([10]), &UNIQUE).unwrap_err().to_string(),
            "[0]: must be below 10"
        );
    }

    /// A typed body as generated code has them: renamed and skipped fields,
    /// options, a nested list, a flattened map.
    #[derive(Serialize)]
    struct Typed {
        #[serde(rename = "items")]
        entries: Vec<TypedItem>,
        #[serde(flatten)]
        extra: std::collections::BTreeMap<String, String>,
    }

    #[derive(Serialize)]
    struct TypedItem {
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        url: Option<String>,
    }

    fn item(name: Option<&str>, url: Option<&str>) -> TypedItem {
        TypedItem {
            name: name.map(str::to_string),
            url: url.map(str::to_string),
        }
    }

    #[test]
    fn checking_while_serializing_agrees_with_the_tree() {
        let values = [
            json!({"items": [{"name": "a"}], "tag": "x"}),
            json!({"items": []}),
            json!({"items": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}),
            json!({"items": [{"name": "a"}, {"name": "abcd"}]}),
            json!({"items": [{"url": "x"}]}),
            json!({"items": [{"name": "", "url": null}]}),
            json!({"items": [{"name": "a", "url": "not a uri"}]}),
            json!({"a.b": "X"}),
            json!({"a": "x", "b": "x", "c": "x", "d": "x"}),
            json!({"items": "not a list", "n": 3}),
            json!([1, 2, 3]),
            json!("text"),
            json!(null),
        ];
        for value in &values {
            assert_eq!(check(value, &BODY), check_tree(value, &BODY), "{value}");
        }
        let typed = [
            Typed {
                entries: vec![item(Some("ab"), Some("https://x.example"))],
                extra: [("tag".to_string(), "ok".to_string())].into(),
            },
            Typed {
                entries: vec![item(Some("a"), None), item(None, Some("https://x.example"))],
                extra: Default::default(),
            },
            Typed {
                entries: vec![item(Some("a"), Some("no uri"))],
                extra: [("Bad".to_string(), "x".to_string())].into(),
            },
            Typed {
                entries: vec![],
                extra: Default::default(),
            },
        ];
        for value in &typed {
            assert_eq!(check(value, &BODY), check_tree(value, &BODY));
        }
        assert_eq!(
            check(&typed[1], &BODY).unwrap_err().to_string(),
            "items[1].name: is required"
        );
        // Integer map keys are written as their text, as serde_json does.
        let numbered: std::collections::BTreeMap<u32, &str> = [(7, "ok"), (8, "X")].into();
        assert_eq!(check(&numbered, &BODY), check_tree(&numbered, &BODY));
        assert_eq!(
            check(&numbered, &BODY).unwrap_err().to_string(),
            "8: does not match the pattern ^[a-z]+$"
        );
    }

    #[test]
    fn a_body_without_any_of_is_checked_without_its_json_tree() {
        // The streaming path answers on its own: no `Stop::Tree` comes back.
        let body = json!({"items": [{"name": "abcd"}]});
        assert!(matches!(
            stream::check(&body, &BODY),
            Err(Stop::Rule { ref rule, .. }) if rule.contains("at most 3")
        ));
        assert!(stream::check(&json!({"items": [{"name": "a"}]}), &BODY).is_ok());
        static EITHER: Schema = Schema {
            any_of: &[&NAME, &LINK],
            ..Schema::EMPTY
        };
        static HOLDS_EITHER: Schema = Schema {
            properties: &[("v", &EITHER)],
            ..Schema::EMPTY
        };
        // A member that needs its tree gets one; the rest still streams.
        assert!(stream::check(&json!({"v": "ab"}), &HOLDS_EITHER).is_ok());
        assert!(matches!(
            stream::check(&json!({"v": "not a uri"}), &HOLDS_EITHER),
            Err(Stop::Rule { ref path, .. }) if path.len() == 1
        ));
    }
}
