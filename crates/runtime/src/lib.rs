//! Runtime shared by the generated Jira and Qwiet clients.
//!
//! Generated code stays free of policy: every request goes through the hooks in
//! [`hooks`], which a generated crate installs with one [`install_hooks!`] call.

mod auth;
mod body;
pub mod connect_jwt;
mod context;
mod envelope;
pub mod hooks;
pub mod observe;
mod operation;
pub mod path;
pub mod query;
pub mod ratelimit;
pub mod retry;
mod secret;

pub use auth::{Auth, StaticToken, TokenError, TokenFuture, TokenProvider};
pub use body::{DEFAULT_MAX_RESPONSE_SIZE, ResponseTooLarge};
pub use context::{ClientContext, ClientContextBuilder, ConfigError, parse_base_url};
pub use envelope::Envelope;
pub use operation::{OperationMeta, OperationTable};
pub use ratelimit::RateLimits;
pub use retry::RetryPolicy;
pub use secret::Secret;

#[doc(hidden)]
pub use progenitor_client as __progenitor_client;
#[doc(hidden)]
pub use reqwest as __reqwest;

/// Implements progenitor's `ClientHooks` for a generated `Client` by delegating
/// to this runtime.
///
/// The trait is foreign and the client type is local to the generated crate,
/// so the orphan rule puts the impl there; this macro keeps it to one line.
///
/// ```ignore
/// appsec_runtime::install_hooks!(generated::Client, generated::OPERATIONS);
/// ```
#[macro_export]
macro_rules! install_hooks {
    ($client:ty, $operations:expr) => {
        impl $crate::__progenitor_client::ClientHooks<$crate::ClientContext> for $client {
            async fn pre<E>(
                &self,
                request: &mut $crate::__reqwest::Request,
                info: &$crate::__progenitor_client::OperationInfo,
            ) -> ::std::result::Result<(), $crate::__progenitor_client::Error<E>> {
                let ctx = <Self as $crate::__progenitor_client::ClientInfo<
                    $crate::ClientContext,
                >>::inner(self);
                let baseurl = <Self as $crate::__progenitor_client::ClientInfo<
                    $crate::ClientContext,
                >>::baseurl(self);
                $crate::hooks::pre(ctx, &$operations, baseurl, request, info)
                    .await
                    .map_err($crate::__progenitor_client::Error::Custom)
            }

            async fn exec(
                &self,
                request: $crate::__reqwest::Request,
                info: &$crate::__progenitor_client::OperationInfo,
            ) -> $crate::__reqwest::Result<$crate::__reqwest::Response> {
                let ctx = <Self as $crate::__progenitor_client::ClientInfo<
                    $crate::ClientContext,
                >>::inner(self);
                let client = <Self as $crate::__progenitor_client::ClientInfo<
                    $crate::ClientContext,
                >>::client(self);
                $crate::hooks::exec(client, ctx, &$operations, request, info).await
            }
        }
    };
}
