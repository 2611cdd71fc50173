//! Decoding for the generated string enums, which keep values a service
//! added after the spec was written instead of failing on them.
//!
//! Each generated enum has one variant per documented value plus
//! `Unknown(String)`, implements `From<&str>` and `From<String>`, and
//! decodes through [`deserialize`].

use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::{self, Visitor};

/// Decodes a JSON string into an open enum: documented values become their
/// variant, anything else `Unknown` with the text as sent.
pub fn deserialize<'de, D, E>(deserializer: D) -> Result<E, D::Error>
where
    D: Deserializer<'de>,
    E: for<'a> From<&'a str> + From<String>,
{
    struct Text<E>(PhantomData<E>);

    impl<E> Visitor<'_> for Text<E>
    where
        E: for<'a> From<&'a str> + From<String>,
    {
        type Value = E;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }

        fn visit_str<Er: de::Error>(self, value: &str) -> Result<E, Er> {
            Ok(E::from(value))
        }

        fn visit_string<Er: de::Error>(self, value: String) -> Result<E, Er> {
            Ok(E::from(value))
        }
    }

    deserializer.deserialize_str(Text(PhantomData))
}
