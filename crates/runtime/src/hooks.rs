//! The request path every generated client runs through.
//!
//! Generated crates install these functions with [`install_hooks!`](crate::install_hooks).

use progenitor_client::OperationInfo;
use reqwest::header::{CONTENT_TYPE, HeaderValue};

use crate::{ClientContext, OperationTable};

/// Prepares a request before it is sent.
pub async fn pre(
    _ctx: &ClientContext,
    operations: &OperationTable,
    request: &mut reqwest::Request,
    info: &OperationInfo,
) -> Result<(), String> {
    if let Some(op) = operations.get(info.operation_id) {
        if let Some(content_type) = op.request_content_type {
            let value = HeaderValue::from_static(content_type);
            request.headers_mut().insert(CONTENT_TYPE, value);
        }
        crate::query::join_repeated(request.url_mut(), op.comma_separated_query);
    }
    Ok(())
}

/// Sends a prepared request.
pub async fn exec(
    client: &reqwest::Client,
    _ctx: &ClientContext,
    _operations: &OperationTable,
    request: reqwest::Request,
    _info: &OperationInfo,
) -> reqwest::Result<reqwest::Response> {
    client.execute(request).await
}
