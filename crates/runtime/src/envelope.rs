//! Response wrappers that carry the payload one level down.

/// A response body shaped `{ "ok": true, "response": <payload>, ... }`, as
/// every Qwiet answer is. `cargo xtask generate` implements it for each
/// generated type of that shape.
///
/// ```
/// use appsec_runtime::Envelope;
///
/// struct Wrapped { ok: bool, response: Vec<u32> }
/// impl Envelope for Wrapped {
///     type Payload = Vec<u32>;
///     fn into_payload(self) -> Vec<u32> { self.response }
///     fn payload(&self) -> &Vec<u32> { &self.response }
/// }
///
/// let body = Wrapped { ok: true, response: vec![1, 2] };
/// assert!(body.ok);
/// assert_eq!(body.into_payload(), [1, 2]);
/// ```
pub trait Envelope {
    /// The wrapped value.
    type Payload;
    /// Unwraps the payload.
    fn into_payload(self) -> Self::Payload;
    /// Borrows the payload.
    fn payload(&self) -> &Self::Payload;
}
