//! Query values the generated code cannot express with progenitor alone.

use std::fmt::Display;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Url;

/// Characters left as they are in a query item; everything else, the comma
/// included, is percent-encoded so that the separators stay unambiguous.
const ITEM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The list shapes generated code passes to [`append_comma_separated`].
pub trait CommaList {
    /// Calls `f` with each item.
    fn each(&self, f: &mut dyn FnMut(&dyn Display));
}

impl<V: Display> CommaList for [V] {
    fn each(&self, f: &mut dyn FnMut(&dyn Display)) {
        self.iter().for_each(|v| f(v));
    }
}

impl<V: Display> CommaList for Vec<V> {
    fn each(&self, f: &mut dyn FnMut(&dyn Display)) {
        self.as_slice().each(f);
    }
}

impl<L: CommaList> CommaList for Option<L> {
    fn each(&self, f: &mut dyn FnMut(&dyn Display)) {
        if let Some(list) = self {
            list.each(f);
        }
    }
}

/// Appends a query array the service expects as one comma-separated value
/// (`explode: false`): `ids=a,b` rather than `ids=a&ids=b`. Items are
/// percent-encoded, a comma inside one included; the separators are not.
/// An absent or empty list appends nothing.
///
/// Generated code calls this where the spec says so, once per request it
/// builds; nothing is rewritten in the hooks.
///
/// ```
/// use appsec_runtime::query::append_comma_separated;
/// let mut url = reqwest::Url::parse("https://h/p?x=1").unwrap();
/// append_comma_separated(&mut url, "ids", &vec!["a", "b,c"]);
/// assert_eq!(url.query(), Some("x=1&ids=a,b%2Cc"));
/// ```
pub fn append_comma_separated<L: CommaList + ?Sized>(url: &mut Url, name: &str, list: &L) {
    let mut joined = String::new();
    list.each(&mut |item| {
        if !joined.is_empty() {
            joined.push(',');
        }
        joined.extend(utf8_percent_encode(&item.to_string(), ITEM));
    });
    if joined.is_empty() {
        return;
    }
    let pair = format!("{}={joined}", utf8_percent_encode(name, ITEM));
    let query = match url.query().filter(|q| !q.is_empty()) {
        Some(existing) => format!("{existing}&{pair}"),
        None => pair,
    };
    url.set_query(Some(&query));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn appended<L: CommaList + ?Sized>(list: &L) -> Option<String> {
        let mut url = Url::parse("http://h/p").unwrap();
        append_comma_separated(&mut url, "workspaceIds", list);
        url.query().map(str::to_string)
    }

    #[test]
    fn lists_become_one_comma_separated_value() {
        let ids = vec!["a".to_string(), "b".to_string()];
        assert_eq!(appended(&ids).as_deref(), Some("workspaceIds=a,b"));
        assert_eq!(
            appended(&Some(vec![1, 2])).as_deref(),
            Some("workspaceIds=1,2")
        );
    }

    #[test]
    fn commas_and_reserved_characters_inside_items_are_encoded() {
        let ids = vec!["a,b", "c&d=e", "é"];
        assert_eq!(
            appended(&ids).as_deref(),
            Some("workspaceIds=a%2Cb,c%26d%3De,%C3%A9")
        );
    }

    #[test]
    fn absent_and_empty_lists_send_nothing() {
        assert_eq!(appended(&None::<Vec<String>>), None);
        assert_eq!(appended(&Vec::<String>::new()), None);
    }
}
