//! `JiraClient::from_env_with` and `QwietClient::from_env_with`: which
//! credentials each set of variables chooses, and errors that name the
//! variable. Each test passes its own variables; the process environment is
//! never read or changed.

use appsec_sandbox::{Credentials, SANDBOX_ORG_ID, Sandbox, SandboxConfig};
use appsec_sdk::env::EnvError;
use appsec_sdk::{Error, JiraClient, QwietClient, SendExt};

fn lookup(vars: &[(&str, String)]) -> impl Fn(&str) -> Option<String> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

fn jira_err(vars: &[(&str, &str)]) -> Error {
    let vars: Vec<(&str, String)> = vars.iter().map(|(k, v)| (*k, v.to_string())).collect();
    JiraClient::from_env_with(lookup(&vars)).unwrap_err()
}

const SITE: &str = "https://your-site.atlassian.net";

#[test]
fn a_missing_base_url_is_named() {
    let err = jira_err(&[("JIRA_APP_TOKEN", "t")]);
    assert!(
        matches!(err, Error::Env(EnvError::Missing("JIRA_BASE_URL"))),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "JIRA_BASE_URL is not set");
}

#[test]
fn a_bad_base_url_names_its_variable_and_the_reason() {
    let err = jira_err(&[
        ("JIRA_BASE_URL", "http://your-site.atlassian.net"),
        ("JIRA_APP_TOKEN", "t"),
    ]);
    assert!(
        matches!(
            err,
            Error::Env(EnvError::Invalid {
                variable: "JIRA_BASE_URL",
                ..
            })
        ),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("JIRA_BASE_URL: "), "{err}");
    assert!(err.to_string().contains("https"), "{err}");
}

#[test]
fn no_credentials_lists_every_choice() {
    let err = jira_err(&[("JIRA_BASE_URL", SITE)]);
    assert!(
        matches!(err, Error::Env(EnvError::NoCredentials)),
        "{err:?}"
    );
    for name in [
        "JIRA_APP_TOKEN",
        "JIRA_EMAIL",
        "JIRA_API_TOKEN",
        "JIRA_CONNECT_APP_KEY",
        "JIRA_OAUTH_REFRESH_TOKEN",
    ] {
        assert!(err.to_string().contains(name), "{name} in {err}");
    }
}

#[test]
fn half_a_set_names_the_missing_half() {
    let err = jira_err(&[("JIRA_BASE_URL", SITE), ("JIRA_API_TOKEN", "t")]);
    assert!(
        matches!(
            err,
            Error::Env(EnvError::Incomplete {
                present: "JIRA_API_TOKEN",
                missing: "JIRA_EMAIL"
            })
        ),
        "{err:?}"
    );
    let err = jira_err(&[("JIRA_BASE_URL", SITE), ("JIRA_CONNECT_SHARED_SECRET", "s")]);
    assert!(
        matches!(
            err,
            Error::Env(EnvError::Incomplete {
                missing: "JIRA_CONNECT_APP_KEY",
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn two_sets_of_credentials_are_refused_naming_both() {
    let err = jira_err(&[
        ("JIRA_BASE_URL", SITE),
        ("JIRA_APP_TOKEN", "t"),
        ("JIRA_EMAIL", "me@example.com"),
        ("JIRA_API_TOKEN", "secret-api-token"),
    ]);
    assert!(
        matches!(
            err,
            Error::Env(EnvError::Conflict {
                first: "JIRA_APP_TOKEN",
                second: "JIRA_EMAIL"
            })
        ),
        "{err:?}"
    );
    assert!(!err.to_string().contains("secret-api-token"), "{err}");
}

#[test]
fn an_empty_value_counts_as_unset() {
    let err = jira_err(&[
        ("JIRA_BASE_URL", SITE),
        ("JIRA_APP_TOKEN", ""),
        ("JIRA_EMAIL", "me@example.com"),
    ]);
    assert!(
        matches!(
            err,
            Error::Env(EnvError::Incomplete {
                missing: "JIRA_API_TOKEN",
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn qwiet_needs_its_token_and_checks_its_base_url() {
    let err = QwietClient::from_env_with(|_| None).unwrap_err();
    assert!(
        matches!(err, Error::Env(EnvError::Missing("QWIET_TOKEN"))),
        "{err:?}"
    );
    let err = QwietClient::from_env_with(lookup(&[
        ("QWIET_TOKEN", "t".into()),
        ("QWIET_BASE_URL", "not a url".into()),
    ]))
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Env(EnvError::Invalid {
                variable: "QWIET_BASE_URL",
                ..
            })
        ),
        "{err:?}"
    );
}

async fn sandbox() -> (Sandbox, Credentials) {
    let config = SandboxConfig {
        qwiet_findings: 5,
        jira_level_members: 2,
        ..SandboxConfig::default()
    };
    let credentials = config.credentials.clone();
    (Sandbox::start(config).await.unwrap(), credentials)
}

/// Lists the issue security schemes, which every kind of credentials may.
async fn schemes(jira: &JiraClient) -> Result<usize, Error> {
    Ok(jira
        .issue_security()
        .get_issue_security_schemes()
        .send()
        .value()
        .await?
        .issue_security_schemes
        .len())
}

#[tokio::test]
async fn each_set_of_jira_credentials_reaches_the_sandbox() {
    let (sandbox, c) = sandbox().await;
    let base = ("JIRA_BASE_URL", sandbox.url());
    let sets: [&[(&str, String)]; 3] = [
        &[base.clone(), ("JIRA_APP_TOKEN", c.bearer_token.clone())],
        &[
            base.clone(),
            ("JIRA_EMAIL", c.jira_email.clone()),
            ("JIRA_API_TOKEN", c.jira_api_token.clone()),
        ],
        &[
            base.clone(),
            ("JIRA_CONNECT_APP_KEY", c.connect_app_key.clone()),
            (
                "JIRA_CONNECT_SHARED_SECRET",
                c.connect_shared_secret.clone(),
            ),
        ],
    ];
    for vars in sets {
        let jira = JiraClient::from_env_with(lookup(vars)).unwrap();
        assert!(schemes(&jira).await.unwrap() > 0, "{vars:?}");
    }
    assert_eq!(sandbox.stats().rejected_auth, 0);

    // Basic auth was chosen: Security Information is refused before sending.
    let basic = JiraClient::from_env_with(lookup(sets[1])).unwrap();
    assert!(matches!(
        basic.security_info(),
        Err(Error::AuthNotAccepted { .. })
    ));
    // A wrong token is sent as given, and the sandbox refuses it.
    let wrong =
        JiraClient::from_env_with(lookup(&[base, ("JIRA_APP_TOKEN", "wrong".into())])).unwrap();
    assert!(matches!(schemes(&wrong).await, Err(Error::Auth(_))));
}

#[tokio::test]
async fn qwiet_from_the_environment_reaches_the_sandbox() {
    let (sandbox, c) = sandbox().await;
    let qwiet = QwietClient::from_env_with(lookup(&[
        ("QWIET_TOKEN", c.qwiet_token.clone()),
        ("QWIET_BASE_URL", sandbox.qwiet_url()),
    ]))
    .unwrap();
    let apps = qwiet
        .api()
        .list_apps()
        .org_id(SANDBOX_ORG_ID.parse::<uuid::Uuid>().unwrap())
        .send()
        .value()
        .await
        .unwrap();
    drop(apps);
    assert_eq!(sandbox.stats().rejected_auth, 0);
}

#[cfg(feature = "oauth")]
#[tokio::test]
async fn a_stored_refresh_token_is_refreshed_on_the_first_call() {
    use appsec_sandbox::{SANDBOX_OAUTH_CLIENT_ID, SANDBOX_OAUTH_CLIENT_SECRET};
    use appsec_sdk::oauth::OAuthApp;

    let (sandbox, _) = sandbox().await;
    // A refresh token as an app would have stored it after consent.
    let app = OAuthApp::new(
        SANDBOX_OAUTH_CLIENT_ID,
        SANDBOX_OAUTH_CLIENT_SECRET,
        "http://127.0.0.1:9/callback",
    )
    .with_servers(sandbox.url(), sandbox.url());
    let (url, _) = app.authorize_url(&["read:jira-work", "offline_access"]);
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let consent = browser.get(url).send().await.unwrap();
    let back = reqwest::Url::parse(consent.headers()["location"].to_str().unwrap()).unwrap();
    let code = back
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let stored = app
        .exchange_code(&code)
        .await
        .unwrap()
        .refresh_token
        .unwrap();

    let vars = [
        ("JIRA_BASE_URL", sandbox.gateway_url()),
        ("JIRA_OAUTH_CLIENT_ID", SANDBOX_OAUTH_CLIENT_ID.to_string()),
        (
            "JIRA_OAUTH_CLIENT_SECRET",
            SANDBOX_OAUTH_CLIENT_SECRET.to_string(),
        ),
        ("JIRA_OAUTH_REFRESH_TOKEN", stored.expose().to_string()),
        ("JIRA_OAUTH_AUTH_URL", sandbox.url()),
    ];
    let jira = JiraClient::from_env_with(lookup(&vars)).unwrap();
    assert!(schemes(&jira).await.unwrap() > 0);
    // The stored token was spent on that call's refresh.
    assert!(app.refresh(&stored).await.is_err());
}
