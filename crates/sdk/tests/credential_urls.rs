//! A credential pasted into a base URL never comes back in an error, through
//! either client, whatever characters it holds.

use appsec_sdk::{Error, JiraClient, QwietClient};

/// User info of many shapes; `SECRET` and `USER` are what must stay hidden.
const SECRET: &str = "pa55w0rd-9f3e";
const USER: &str = "ops-usr-41";

fn shapes() -> Vec<String> {
    let mut shapes = Vec::new();
    for password in [
        SECRET.to_string(),
        format!("x/{SECRET}"),
        format!("{SECRET}/y"),
        format!("1234/{SECRET}"),
        format!("{SECRET}@more"),
        format!("a#{SECRET}"),
        format!("a?{SECRET}"),
        format!("%2F{SECRET}%40"),
        format!("{SECRET}\\z"),
        format!("sp ace{SECRET}"),
        format!("{SECRET}:colon"),
    ] {
        for host in [
            "example.atlassian.net",
            "127.0.0.1:9",
            "app.shiftleft.io/api/v4",
        ] {
            for scheme in ["https", "http"] {
                shapes.push(format!("{scheme}://{USER}:{password}@{host}/"));
            }
        }
    }
    shapes.push(format!("https://{USER}@example.com"));
    shapes.push(format!("https://:{SECRET}@example.com"));
    shapes.push(format!("{USER}:{SECRET}@example.com"));
    shapes
}

fn assert_hidden(result: Result<impl std::fmt::Debug, Error>, url: &str) {
    let err = result.expect_err(url);
    assert!(matches!(err, Error::Config(_)), "{url}: {err:?}");
    let text = format!("{err} {err:?}");
    for part in [SECRET, USER, "55w0rd", "usr-41"] {
        assert!(!text.contains(part), "{url} shows {part:?}: {text}");
    }
}

#[test]
fn no_part_of_a_user_or_password_in_a_base_url_reaches_an_error() {
    for url in shapes() {
        assert_hidden(JiraClient::builder(&url).bearer_token("t").build(), &url);
        assert_hidden(
            QwietClient::builder()
                .base_url(&url)
                .bearer_token("t")
                .build(),
            &url,
        );
    }
}
