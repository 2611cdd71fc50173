//! `.value()`: awaiting a generated call and getting the SDK's types back.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

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
    fn value(self) -> impl Future<Output = Result<T, Error>> + Send
    where
        T: DeserializeOwned;

    /// For operations whose documented answer is a redirect (Qwiet's Slack
    /// and Azure Boards authorization and callbacks): the URL in its
    /// `Location` header, resolved against the request URL.
    ///
    /// ```no_run
    /// # async fn run(qwiet: appsec_sdk::QwietClient, org: uuid::Uuid) -> Result<(), appsec_sdk::Error> {
    /// use appsec_sdk::SendExt;
    /// let consent = qwiet.api().authorize_slack().org_id(org).send().location().await?;
    /// println!("open {consent} in a browser");
    /// # Ok(()) }
    /// ```
    fn location(self) -> impl Future<Output = Result<reqwest::Url, Error>> + Send;
}

impl<F, T, E> SendExt<T> for F
where
    F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>> + Send,
    T: Send + 'static,
    E: Send + 'static,
{
    fn value(self) -> impl Future<Output = Result<T, Error>> + Send
    where
        T: DeserializeOwned,
    {
        Value {
            call: self,
            converting: None,
            _types: PhantomData,
        }
    }

    async fn location(self) -> Result<reqwest::Url, Error> {
        let response = match self.await {
            Err(progenitor_client::Error::UnexpectedResponse(r)) if r.status().is_redirection() => {
                r
            }
            Err(e) => return Err(Error::from_generated_raw(e).await),
            Ok(value) => {
                return Err(Error::Decode {
                    path: None,
                    message: format!(
                        "expected a redirect with a `Location` header, got status {}",
                        value.status()
                    ),
                    snippet: String::new(),
                });
            }
        };
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| response.url().join(v).ok());
        location.ok_or_else(|| Error::Decode {
            path: None,
            message: format!(
                "status {} without a usable `Location` header",
                response.status()
            ),
            snippet: String::new(),
        })
    }
}

/// Converting a failed call may read the rest of its body.
type Converting = Pin<Box<dyn Future<Output = Error> + Send>>;

pin_project_lite::pin_project! {
    /// The future behind [`SendExt::value`].
    ///
    /// Written by hand rather than as an `async fn` so that the generated
    /// call (about two kilobytes) is stored once and never copied, and so that
    /// the larger error conversion is allocated only when a call fails.
    struct Value<F, T, E> {
        #[pin]
        call: F,
        converting: Option<Converting>,
        _types: PhantomData<fn() -> (T, E)>,
    }
}

impl<F, T, E> Future for Value<F, T, E>
where
    F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>> + Send,
    T: DeserializeOwned + Send + 'static,
    E: Send + 'static,
{
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Some(converting) = this.converting {
            return converting.as_mut().poll(cx).map(Err);
        }
        match ready!(this.call.poll(cx)) {
            Ok(value) => Poll::Ready(Ok(value.into_inner())),
            Err(e) => {
                let mut converting: Converting = Box::pin(Error::from_generated::<T, E>(e));
                let poll = converting.as_mut().poll(cx);
                *this.converting = Some(converting);
                poll.map(Err)
            }
        }
    }
}
