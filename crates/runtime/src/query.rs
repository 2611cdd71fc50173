//! Query-string adjustments the generated code cannot express.

use reqwest::Url;

/// Rewrites `name=a&name=b` as `name=a,b` for each name in `names`, keeping
/// every other parameter and the order of first appearance.
///
/// Values are taken as already percent-encoded, so a comma inside a value
/// stays `%2C` and remains distinguishable from the separator.
pub fn join_repeated(url: &mut Url, names: &[&str]) {
    let Some(query) = url.query() else { return };
    if names.is_empty() {
        return;
    }
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let joinable = names.iter().any(|n| decode_key(key) == *n);
        match out.iter_mut().find(|(k, _)| joinable && k == key) {
            Some((_, values)) => values.push(value.to_string()),
            None => out.push((key.to_string(), vec![value.to_string()])),
        }
    }
    let rebuilt: Vec<String> = out
        .into_iter()
        .map(|(k, v)| format!("{k}={}", v.join(",")))
        .collect();
    url.set_query(Some(&rebuilt.join("&")));
}

fn decode_key(key: &str) -> std::borrow::Cow<'_, str> {
    percent_encoding::percent_decode_str(key).decode_utf8_lossy()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(url: &str, names: &[&str]) -> String {
        let mut url = Url::parse(url).unwrap();
        join_repeated(&mut url, names);
        url.to_string()
    }

    #[test]
    fn repeated_keys_are_joined_with_commas() {
        assert_eq!(
            joined(
                "http://h/p?workspaceIds=a&x=1&workspaceIds=b%2Cc",
                &["workspaceIds"]
            ),
            "http://h/p?workspaceIds=a,b%2Cc&x=1"
        );
    }

    #[test]
    fn other_keys_stay_repeated() {
        assert_eq!(
            joined("http://h/p?id=1&id=2", &["workspaceIds"]),
            "http://h/p?id=1&id=2"
        );
    }

    #[test]
    fn no_query_is_left_alone() {
        assert_eq!(joined("http://h/p", &["workspaceIds"]), "http://h/p");
    }
}
