//! `.value()`: awaiting a generated call and getting the SDK's types back.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use appsec_runtime::hooks::{Recording, recording};
use progenitor_client::ResponseValue;
use serde::de::DeserializeOwned;

use crate::Error;

/// Awaits a generated call and converts its outcome into the SDK's types.
///
/// ```no_run
/// # async fn run(jira: appsec_sdk::JiraClient) -> Result<(), appsec_sdk::Error> {
/// use appsec_sdk::SendExt;
/// let schemes = jira.issue_security().get_issue_security_schemes().send().value().await?;
/// # Ok(()) }
/// ```
pub trait SendExt<T> {
    /// The success value, or one [`Error`].
    fn value(self) -> impl Future<Output = Result<T, Error>> + Send;
}

impl<F, T, E> SendExt<T> for F
where
    F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>> + Send,
    T: DeserializeOwned + Send + 'static,
    E: serde::Serialize + Send + 'static,
{
    fn value(self) -> impl Future<Output = Result<T, Error>> + Send {
        Value {
            call: recording(self),
            converting: None,
            _types: PhantomData,
        }
    }
}

/// Converting a failed call may read the rest of its body.
type Converting = Pin<Box<dyn Future<Output = Error> + Send>>;

pin_project_lite::pin_project! {
    /// The future behind [`SendExt::value`].
    ///
    /// Written by hand rather than as an `async fn` so that the generated
    /// call (a few kilobytes) is stored once and never copied, and so that
    /// the larger error conversion is allocated only when a call fails.
    struct Value<F: Future, T, E> {
        #[pin]
        call: Recording<F>,
        converting: Option<Converting>,
        _types: PhantomData<fn() -> (T, E)>,
    }
}

impl<F, T, E> Future for Value<F, T, E>
where
    F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>> + Send,
    T: DeserializeOwned + Send + 'static,
    E: serde::Serialize + Send + 'static,
{
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Some(converting) = this.converting {
            return converting.as_mut().poll(cx).map(Err);
        }
        match ready!(this.call.poll(cx)) {
            (Ok(value), _) => Poll::Ready(Ok(value.into_inner())),
            (Err(e), record) => {
                let mut converting: Converting = Box::pin(Error::from_recorded::<T, E>(e, record));
                let poll = converting.as_mut().poll(cx);
                *this.converting = Some(converting);
                poll.map(Err)
            }
        }
    }
}
