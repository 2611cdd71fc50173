//! A minimal HTTP/1.1 server on loopback that answers two Jira operations
//! with fixed bodies, so that the client's cost is what gets measured.
//!
//! It runs on its own thread with a single-threaded runtime and does no
//! routing beyond a method and path-prefix check.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// What `GET /rest/api/3/securitylevel/{id}` answers: a `SecurityLevel`
/// with every field the spec defines.
pub const LEVEL_JSON: &str = r#"{"self":"https://your-domain.atlassian.net/rest/api/3/securitylevel/10021","id":"10021","description":"Security engineers and responders.","name":"Security team","isDefault":false,"issueSecuritySchemeId":"10000"}"#;

/// What `POST /rest/api/3/issuesecurityschemes` answers, with `201`.
pub const CREATED_JSON: &str = r#"{"id":"10005"}"#;

/// Path of the GET, without the id.
pub const LEVEL_PATH: &str = "/rest/api/3/securitylevel/";
/// Path of the POST.
pub const SCHEMES_PATH: &str = "/rest/api/3/issuesecurityschemes";

/// A running server; stops when dropped.
#[derive(Debug)]
pub struct MinimalServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MinimalServer {
    /// Binds `127.0.0.1:0` and serves on a new thread.
    pub fn start() -> std::io::Result<MinimalServer> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("minimal-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        _ = stopped => {}
                        _ = accept_loop(listener) => {}
                    }
                });
            })?;
        Ok(MinimalServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for MinimalServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            // Errors are clients closing their connections.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}

async fn answer(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body) = match (req.method(), req.uri().path()) {
        (&Method::GET, path) if path.starts_with(LEVEL_PATH) => (StatusCode::OK, LEVEL_JSON),
        (&Method::POST, SCHEMES_PATH) => {
            // Read the body as a real server would before answering.
            let _ = req.into_body().collect().await;
            (StatusCode::CREATED, CREATED_JSON)
        }
        _ => (StatusCode::NOT_FOUND, r#"{"errorMessages":["not found"]}"#),
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}
