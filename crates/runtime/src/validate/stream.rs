//! Checking a body while it serializes, without building its JSON tree.
//!
//! [`check`](super::check) runs this first. It sees the same values, in
//! the same JSON shapes, as the tree walk, and reports the same violation.
//! Within an object or a list, the node's own checks come first, then a
//! missing required name, then the first member that breaks a rule, in the
//! order the body is written. Anything this path does not take apart
//! itself (`anyOf`, `allOf`, unique items, enum variants holding data, map
//! keys that are not strings or numbers) is handed back as
//! [`Stop::Tree`]. The caller then checks that part, or the whole body,
//! through the JSON tree.

use std::fmt;

use serde::Serialize;
use serde::ser::{self, Impossible};

use super::{Check, Schema, Step, apply_to_len, apply_to_number, apply_to_str, walk};

/// A step of the path to a violation, owned: the keys of a serialized map
/// live only while it is written.
#[derive(Debug, Clone)]
pub(super) enum OwnedStep {
    Key(String),
    Index(usize),
}

/// Why checking stopped.
#[derive(Debug)]
pub(super) enum Stop {
    /// A rule broke at `path` (relative to the value checked).
    Rule { path: Vec<OwnedStep>, rule: String },
    /// The value could not be serialized.
    Encode(String),
    /// A shape this path leaves to the tree walk.
    Tree,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Rule { rule, .. } => f.write_str(rule),
            Stop::Encode(message) => f.write_str(message),
            Stop::Tree => f.write_str("left to the JSON tree"),
        }
    }
}

impl std::error::Error for Stop {}

impl ser::Error for Stop {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Stop::Encode(message.to_string())
    }
}

/// Checks `value` against `schema`. A schema that needs the whole value at
/// once is checked on that value's JSON tree.
pub(super) fn check<T: Serialize + ?Sized>(value: &T, schema: &Schema) -> Result<(), Stop> {
    if needs_tree(schema) {
        let json = serde_json::to_value(value).map_err(|e| Stop::Encode(e.to_string()))?;
        let mut path = Vec::new();
        return walk(&json, schema, &mut path).map_err(|rule| Stop::Rule {
            path: path.iter().map(owned).collect(),
            rule,
        });
    }
    value.serialize(Node { schema })
}

fn needs_tree(schema: &Schema) -> bool {
    !schema.any_of.is_empty()
        || !schema.all_of.is_empty()
        || schema.checks.contains(&Check::UniqueItems)
}

fn owned(step: &Step<'_>) -> OwnedStep {
    match step {
        Step::Key(key) => OwnedStep::Key(key.to_string()),
        Step::Index(i) => OwnedStep::Index(*i),
    }
}

/// A rule that broke at the value itself.
fn here(rule: String) -> Stop {
    Stop::Rule {
        path: Vec::new(),
        rule,
    }
}

/// The first violation among the members of a list or object, kept until
/// the node's own checks and required names have had their say.
#[derive(Default)]
struct FirstMember(Option<Stop>);

impl FirstMember {
    /// Records what checking one member gave; only shapes this path cannot
    /// take apart and encoding failures end the node at once.
    fn member(&mut self, step: OwnedStep, outcome: Result<(), Stop>) -> Result<(), Stop> {
        match outcome {
            Ok(()) => Ok(()),
            Err(Stop::Rule { mut path, rule }) => {
                if self.0.is_none() {
                    path.insert(0, step);
                    self.0 = Some(Stop::Rule { path, rule });
                }
                Ok(())
            }
            Err(other) => Err(other),
        }
    }

    fn finish(self) -> Result<(), Stop> {
        self.0.map_or(Ok(()), Err)
    }
}

/// Checks of one value against one schema, as serde hands the value over.
struct Node<'s> {
    schema: &'s Schema,
}

impl<'s> Node<'s> {
    fn number(self, n: f64) -> Result<(), Stop> {
        for check in self.schema.checks {
            apply_to_number(*check, n).map_err(here)?;
        }
        Ok(())
    }

    fn string(self, s: &str) -> Result<(), Stop> {
        for check in self.schema.checks {
            apply_to_str(*check, s).map_err(here)?;
        }
        Ok(())
    }

    fn list(self, len: Option<usize>) -> List<'s> {
        List {
            schema: self.schema,
            len,
            seen: 0,
            first: FirstMember::default(),
        }
    }

    fn object(self) -> Result<Object<'s>, Stop> {
        if self.schema.required.len() > 64 {
            return Err(Stop::Tree);
        }
        Ok(Object {
            schema: self.schema,
            seen: 0,
            present: 0,
            key: None,
            first: FirstMember::default(),
        })
    }
}

/// serde's eight integer methods of a `Serializer`, each answering `$body`
/// with the receiver as `$this` and the integer as `$v`.
macro_rules! integer_methods {
    ($ok:ty, |$this:ident, $v:ident| $body:expr) => {
        integer_methods!(@each $ok, $this, $v, $body;
            serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
            serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64);
    };
    (@each $ok:ty, $this:ident, $v:ident, $body:expr; $($method:ident: $int:ty),*) => {$(
        fn $method($this, $v: $int) -> Result<$ok, Stop> {
            $body
        }
    )*};
}

impl<'s> ser::Serializer for Node<'s> {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = List<'s>;
    type SerializeTuple = List<'s>;
    type SerializeTupleStruct = List<'s>;
    type SerializeTupleVariant = Impossible<(), Stop>;
    type SerializeMap = Object<'s>;
    type SerializeStruct = Object<'s>;
    type SerializeStructVariant = Impossible<(), Stop>;

    // Booleans and nulls have no checks.
    fn serialize_bool(self, _: bool) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_unit(self) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Stop> {
        Ok(())
    }

    // Integers are checked as the `f64` serde_json compares them as.
    integer_methods!((), |self, v| self.number(v as f64));
    fn serialize_f32(self, v: f32) -> Result<(), Stop> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Stop> {
        // JSON has no NaN or infinity: serde_json writes them as null.
        if v.is_finite() {
            self.number(v)
        } else {
            Ok(())
        }
    }

    fn serialize_char(self, v: char) -> Result<(), Stop> {
        self.string(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Stop> {
        self.string(v)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Stop> {
        self.string(variant)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Stop> {
        // JSON writes bytes as a list of numbers.
        let mut list = self.list(Some(v.len()));
        for byte in v {
            ser::SerializeSeq::serialize_element(&mut list, byte)?;
        }
        ser::SerializeSeq::end(list)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Stop> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Stop> {
        Err(Stop::Tree)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<List<'s>, Stop> {
        Ok(self.list(len))
    }
    fn serialize_tuple(self, len: usize) -> Result<List<'s>, Stop> {
        Ok(self.list(Some(len)))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<List<'s>, Stop> {
        Ok(self.list(Some(len)))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Stop> {
        Err(Stop::Tree)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Object<'s>, Stop> {
        self.object()
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Object<'s>, Stop> {
        self.object()
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Stop> {
        Err(Stop::Tree)
    }
}

/// A list being written: its items are checked as they come; its own
/// checks need its length, which serde usually gives up front.
struct List<'s> {
    schema: &'s Schema,
    len: Option<usize>,
    seen: usize,
    first: FirstMember,
}

impl List<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        let index = self.seen;
        self.seen += 1;
        if let Some(items) = self.schema.items
            && self.first.0.is_none()
        {
            self.first
                .member(OwnedStep::Index(index), check(value, items))?;
        }
        Ok(())
    }

    fn finish(self) -> Result<(), Stop> {
        let len = self.len.unwrap_or(self.seen).max(self.seen);
        for check in self.schema.checks {
            apply_to_len(*check, len, true).map_err(here)?;
        }
        self.first.finish()
    }
}

/// serde's three list-shaped traits, all one [`List`].
macro_rules! list_trait {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for List<'_> {
            type Ok = ();
            type Error = Stop;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
                self.element(value)
            }
            fn end(self) -> Result<(), Stop> {
                self.finish()
            }
        }
    )*};
}

list_trait!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

/// An object being written: members are checked as they come; its own
/// checks and required names are judged once it is complete.
struct Object<'s> {
    schema: &'s Schema,
    seen: usize,
    /// Which of `schema.required` have been written, one bit each (more
    /// than 64 required names go to the tree).
    present: u64,
    /// The key of a map entry whose value comes next.
    key: Option<String>,
    first: FirstMember,
}

impl Object<'_> {
    fn member<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Stop> {
        self.seen += 1;
        if let Some(i) = self.schema.required.iter().position(|name| *name == key) {
            self.present |= 1 << i;
        }
        let named = self.schema.properties.iter().find(|(name, _)| *name == key);
        let inner = named.map(|(_, schema)| *schema).or(self.schema.values);
        match inner {
            Some(inner) if self.first.0.is_none() => self
                .first
                .member(OwnedStep::Key(key.to_string()), check(value, inner)),
            _ => Ok(()),
        }
    }

    fn finish(self) -> Result<(), Stop> {
        for check in self.schema.checks {
            apply_to_len(*check, self.seen, false).map_err(here)?;
        }
        let missing = (0..self.schema.required.len()).find(|i| self.present & (1 << i) == 0);
        if let Some(i) = missing {
            return Err(Stop::Rule {
                path: vec![OwnedStep::Key(self.schema.required[i].to_string())],
                rule: "is required".into(),
            });
        }
        self.first.finish()
    }
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = ();
    type Error = Stop;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        self.member(key, value)
    }
    fn end(self) -> Result<(), Stop> {
        self.finish()
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = Stop;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Stop> {
        self.key = Some(key.serialize(KeyText)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        let key = self.key.take().ok_or(Stop::Tree)?;
        self.member(&key, value)
    }
    fn end(self) -> Result<(), Stop> {
        self.finish()
    }
}

/// A map key as the JSON text serde_json writes for it.
struct KeyText;

impl ser::Serializer for KeyText {
    type Ok = String;
    type Error = Stop;
    type SerializeSeq = Impossible<String, Stop>;
    type SerializeTuple = Impossible<String, Stop>;
    type SerializeTupleStruct = Impossible<String, Stop>;
    type SerializeTupleVariant = Impossible<String, Stop>;
    type SerializeMap = Impossible<String, Stop>;
    type SerializeStruct = Impossible<String, Stop>;
    type SerializeStructVariant = Impossible<String, Stop>;

    fn serialize_str(self, v: &str) -> Result<String, Stop> {
        Ok(v.to_string())
    }
    fn serialize_char(self, v: char) -> Result<String, Stop> {
        Ok(v.to_string())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, Stop> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, Stop> {
        value.serialize(self)
    }
    // serde_json writes integer map keys as their decimal text.
    integer_methods!(String, |self, v| Ok(v.to_string()));
    // Every other kind of key is left to serde_json, through the tree.
    fn serialize_bool(self, _: bool) -> Result<String, Stop> {
        Err(Stop::Tree)
    }
    fn serialize_f32(self, _: f32) -> Result<String, Stop> {
        Err(Stop::Tree)
    }
    fn serialize_f64(self, _: f64) -> Result<String, Stop> {
        Err(Stop::Tree)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, Stop> {
        Err(Stop::Tree)
    }
    fn serialize_none(self) -> Result<String, Stop> {
        Err(Stop::Tree)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String, Stop> {
        Err(Stop::Tree)
    }
    fn serialize_unit(self) -> Result<String, Stop> {
        Err(Stop::Tree)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, Stop> {
        Err(Stop::Tree)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, Stop> {
        Err(Stop::Tree)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Stop> {
        Err(Stop::Tree)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Stop> {
        Err(Stop::Tree)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Stop> {
        Err(Stop::Tree)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Stop> {
        Err(Stop::Tree)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Stop> {
        Err(Stop::Tree)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Stop> {
        Err(Stop::Tree)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Stop> {
        Err(Stop::Tree)
    }
}
