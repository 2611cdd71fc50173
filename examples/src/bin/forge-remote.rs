//! A Forge Remote backend: checks the Forge Invocation Token of each
//! incoming invocation and pushes vulnerabilities to Jira's Security tab
//! with the app system token that came with it.
//!
//! ```sh
//! cargo run -p appsec-examples --bin forge-remote
//! ```
//!
//! Without `--app-id` it starts the sandbox, which plays Forge: it signs
//! the invocations with its own key and serves that key's JWKS. With
//! `--app-id` (or `FORGE_APP_ID`, `ari:cloud:ecosystem::app/<uuid>`) it
//! serves real invocations instead, checked against Atlassian's keys.

use std::error::Error;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use appsec_examples::report;
use appsec_examples::sample::{Found, vulnerability};
use appsec_sandbox::{SANDBOX_FORGE_APP_ID, Sandbox, SandboxConfig};
use appsec_sdk::forge::{FitVerifier, ForgeTokens, HttpJwks, SYSTEM_TOKEN_HEADER, jira_builder};
use appsec_sdk::jira::Vulnerabilities;
use appsec_sdk::jira::security_info::types::VulnerabilitySeverityLevel;
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// What each invocation needs: the verifier and the tokens seen so far.
#[derive(Debug)]
struct Backend {
    verifier: FitVerifier,
    tokens: ForgeTokens,
}

/// A Forge Remote backend: verifies each invocation's Forge Invocation Token
/// and pushes a vulnerability to Jira with the app system token it carries.
///
/// Without --app-id it runs one signed and one forged invocation against a
/// sandbox started in-process, and exits.
#[derive(Debug, Parser)]
#[command(name = "forge-remote", version)]
struct Args {
    /// Serve real invocations of this Forge app
    /// (`ari:cloud:ecosystem::app/<uuid>`), checked against Atlassian's keys.
    #[arg(long, env = "FORGE_APP_ID")]
    app_id: Option<String>,
    /// Port to serve real invocations on (all interfaces).
    #[arg(long, env = "PORT", default_value_t = 8080)]
    port: u16,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    report::exit(run(args).await)
}

async fn run(args: Args) -> Result<(), Box<dyn Error>> {
    if let Some(app_id) = args.app_id {
        let port = args.port;
        let backend = Backend {
            verifier: FitVerifier::new(app_id, HttpJwks::atlassian()),
            tokens: ForgeTokens::new(),
        };
        let listener = TcpListener::bind(("0.0.0.0", port)).await?;
        println!("Serving Forge invocations on port {port}");
        return Ok(serve(listener, Arc::new(backend)).await?);
    }

    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    let backend = Arc::new(Backend {
        verifier: FitVerifier::new(
            SANDBOX_FORGE_APP_ID,
            HttpJwks::new(sandbox.forge_jwks_url()),
        ),
        tokens: ForgeTokens::new(),
    });
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let remote: SocketAddr = listener.local_addr()?;
    tokio::spawn(serve(listener, backend));
    println!(
        "Sandbox at {} plays Forge; the remote listens on {remote}\n",
        sandbox.url()
    );

    // This example builds its own reqwest client next to the SDK's: it needs
    // the same TLS crypto provider.
    appsec_sdk::tls::install_crypto_provider();
    let http = reqwest::Client::new();
    let invocation = sandbox.forge_invocation();
    let answer = http
        .post(format!("http://{remote}/security-info/push"))
        .bearer_auth(&invocation.fit)
        .header(SYSTEM_TOKEN_HEADER, &invocation.system_token)
        .send()
        .await?;
    let status = answer.status();
    println!(
        "Invocation signed by the sandbox: {status} {}",
        answer.text().await?
    );
    if !status.is_success() {
        return Err(format!("the signed invocation failed with {status}").into());
    }
    let forged = http
        .post(format!("http://{remote}/security-info/push"))
        .bearer_auth("eyJhbGciOiJub25lIn0.e30.")
        .send()
        .await?;
    println!(
        "Invocation with an unsigned token: {} {}",
        forged.status(),
        forged.text().await?
    );
    Ok(())
}

async fn serve(listener: TcpListener, backend: Arc<Backend>) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let backend = backend.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let backend = backend.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(&backend, req).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn reply(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
}

/// One invocation: verify, then act for the installation it names.
async fn handle(backend: &Backend, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let invocation = match backend.verifier.verify_headers(&parts.headers).await {
        Ok(invocation) => invocation,
        Err(e) => {
            return reply(
                StatusCode::UNAUTHORIZED,
                serde_json::json!({"error": e.to_string()}),
            );
        }
    };
    let _ = body.collect().await;
    backend.tokens.remember(&invocation);
    let result = async {
        let jira = jira_builder(&invocation.claims, &backend.tokens).build()?;
        let workspace = "forge-remote-demo";
        jira.link_workspaces([workspace.to_string()]).await?;
        let report = jira
            .submit_vulnerabilities(
                Vulnerabilities::new(vec![vulnerability(&Found {
                    id: "forge-remote-demo-1",
                    workspace,
                    title: "SQL injection in the login form",
                    url: "https://scanner.example.com/findings/1",
                    severity: VulnerabilitySeverityLevel::High,
                })?])
                .property("source", "forge-remote"),
            )
            .await?;
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(report.accepted.len())
    }
    .await;
    match result {
        Ok(accepted) => reply(
            StatusCode::OK,
            serde_json::json!({
                "installation": invocation.claims.app.installation_id,
                "accepted": accepted,
            }),
        ),
        Err(e) => reply(
            StatusCode::BAD_GATEWAY,
            serde_json::json!({"error": report::sentence(e.as_ref())}),
        ),
    }
}
