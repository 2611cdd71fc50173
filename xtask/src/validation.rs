//! Request-body validation derived from the spec.
//!
//! Every constraint a request schema records (`minItems`, `maxItems`,
//! `uniqueItems`, `minLength`, `maxLength`, `pattern`, `format: uri`,
//! `required`, `minProperties`, `maxProperties`, `minimum`, `maximum`), nested
//! through `$ref`, arrays, maps, `allOf` and `anyOf`/`oneOf`, becomes a static
//! `appsec_runtime::validate::Schema` in a `validation` module of the
//! generated file. Each generated type reached from a request body that has
//! constraints gets an `appsec_runtime::validate::Validate` impl, and each
//! operation whose body has constraints checks it in `send` before building
//! the request, failing with progenitor's `Error::InvalidRequest`.
//!
//! Schemas are matched to generated types by walking the types progenitor
//! emitted: a struct field's serde name is the schema property, and `Option`,
//! `Vec`, `Box` and maps peel off to the property's own, item or value schema.

use std::collections::{BTreeMap, HashMap, HashSet};

use heck::ToShoutySnakeCase;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use serde_json::Value;

use crate::Error;
use crate::spec;

/// Adds the `validation` module to progenitor's output and the body check
/// to every `send` whose body has constraints.
pub fn with_validation(
    spec_name: &str,
    spec: &openapiv3::OpenAPI,
    tokens: TokenStream,
) -> Result<TokenStream, Error> {
    let doc = serde_json::to_value(spec)
        .map_err(|e| Error::new(spec_name, format!("cannot re-read the spec: {e}")))?;
    let mut file: syn::File = syn::parse2(tokens)
        .map_err(|e| Error::new(spec_name, format!("generated code does not parse: {e}")))?;
    let mut emitter = Emitter::new(&doc, &file);
    let bodies = request_bodies(&doc);

    // Pair each operation's body with the type its builder converts it to.
    let mut checks: HashMap<String, TokenStream> = HashMap::new();
    for send in builder_sends(&file) {
        let Some(schema) = bodies.get(&normalized(&send.operation)) else {
            continue;
        };
        let check = match &send.body_type {
            Some(name) => {
                emitter.bind_type(name, schema);
                emitter
                    .static_name(schema)
                    .map(|_| quote!(::appsec_runtime::validate::Validate::validate(&body)))
            }
            None => emitter.static_for_body(&send.operation, schema).map(
                |name| quote!(::appsec_runtime::validate::check(&body, &super::validation::#name)),
            ),
        };
        if let Some(check) = check {
            checks.insert(send.operation, check);
        }
    }
    let module = emitter.finish().map_err(|e| Error::new(spec_name, e))?;
    insert_checks(&mut file, &checks);
    Ok(quote! {
        #file
        #module
    })
}

/// One builder's `send`: the operation it belongs to and the generated type
/// its body converts to, when it has a named one.
struct Send {
    operation: String,
    body_type: Option<String>,
}

/// An operation id with case and separators removed, so that the spec's
/// `submitVulnerabilities` meets progenitor's `submit_vulnerabilities`.
fn normalized(operation_id: &str) -> String {
    operation_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// JSON pointer of each operation's request-body schema, by normalized id.
fn request_bodies(doc: &Value) -> HashMap<String, String> {
    let mut bodies = HashMap::new();
    for op in spec::operations(doc) {
        let Some(id) = op.id() else {
            continue;
        };
        let (path, method) = (op.path, op.method);
        let mut at = format!("/paths/{}/{method}/requestBody", escape(path));
        let Some(body) = doc.pointer(&at) else {
            continue;
        };
        if let Some(target) = body.get("$ref").and_then(Value::as_str) {
            at = target.trim_start_matches('#').to_string();
        }
        let Some(content) = doc
            .pointer(&format!("{at}/content"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        let media = content
            .keys()
            .find(|k| k.contains("json"))
            .or_else(|| content.keys().next());
        if let Some(media) = media {
            let pointer = resolve(doc, format!("{at}/content/{}/schema", escape(media)));
            bodies.insert(normalized(id), pointer);
        }
    }
    bodies
}

/// A JSON pointer token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Follows `$ref`s from `pointer` to the schema itself.
fn resolve(doc: &Value, mut pointer: String) -> String {
    for _ in 0..32 {
        match doc
            .pointer(&pointer)
            .and_then(|s| s.get("$ref"))
            .and_then(Value::as_str)
        {
            Some(target) => pointer = target.trim_start_matches('#').to_string(),
            None => break,
        }
    }
    pointer
}

/// The `send` of every builder in progenitor's `builder` module.
fn builder_sends(file: &syn::File) -> Vec<Send> {
    let mut sends = Vec::new();
    for item in module_items(file, "builder") {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        for item in &block.items {
            let syn::ImplItem::Fn(f) = item else {
                continue;
            };
            let Some(operation) = send_operation(f) else {
                continue;
            };
            // Operations without a body have nothing to check.
            let Some(stmt) = body_statement(&f.block) else {
                continue;
            };
            let text = quote!(#stmt).to_string();
            let body_type = after(&text, "types :: ").and_then(|rest| {
                let (name, rest) = rest.split_once(' ')?;
                rest.starts_with(":: try_from").then(|| name.to_string())
            });
            sends.push(Send {
                operation,
                body_type,
            });
        }
    }
    sends
}

/// The operation a builder's `send` performs, from its `OperationInfo`.
fn send_operation(f: &syn::ImplItemFn) -> Option<String> {
    if f.sig.ident != "send" {
        return None;
    }
    let text = quote!(#f).to_string();
    let rest = after(&text, "operation_id : \"")?;
    rest.split('"').next().map(str::to_string)
}

/// The text after the first `marker`.
fn after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    text.find(marker).map(|at| &text[at + marker.len()..])
}

/// Index of the `let body = ...;` statement in a `send`.
fn body_index(block: &syn::Block) -> Option<usize> {
    block.stmts.iter().position(|stmt| {
        matches!(stmt, syn::Stmt::Local(local)
            if matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "body"))
    })
}

fn body_statement(block: &syn::Block) -> Option<&syn::Stmt> {
    body_index(block).map(|i| &block.stmts[i])
}

/// The items of a top-level inline module.
fn module_items<'a>(file: &'a syn::File, name: &str) -> impl Iterator<Item = &'a syn::Item> {
    file.items
        .iter()
        .filter_map(move |item| match item {
            syn::Item::Mod(m) if m.ident == name => m.content.as_ref().map(|(_, items)| items),
            _ => None,
        })
        .flatten()
}

/// Puts each operation's check right after its body is converted.
fn insert_checks(file: &mut syn::File, checks: &HashMap<String, TokenStream>) {
    for item in &mut file.items {
        let syn::Item::Mod(m) = item else { continue };
        if m.ident != "builder" {
            continue;
        }
        let Some((_, items)) = m.content.as_mut() else {
            continue;
        };
        for item in items {
            let syn::Item::Impl(block) = item else {
                continue;
            };
            for item in &mut block.items {
                let syn::ImplItem::Fn(f) = item else { continue };
                let Some(operation) = send_operation(f) else {
                    continue;
                };
                let (Some(check), Some(at)) = (checks.get(&operation), body_index(&f.block)) else {
                    continue;
                };
                let stmt: syn::Stmt = syn::parse_quote! {
                    #check.map_err(|violation| {
                        Error::InvalidRequest(format!("request body: {violation}"))
                    })?;
                };
                f.block.stmts.insert(at + 1, stmt);
            }
        }
    }
}

/// The generated structs: name to (serde name, field type) pairs.
fn struct_fields(file: &syn::File) -> HashMap<String, Vec<(String, syn::Type)>> {
    let mut structs = HashMap::new();
    for item in module_items(file, "types") {
        let syn::Item::Struct(s) = item else { continue };
        let syn::Fields::Named(fields) = &s.fields else {
            continue;
        };
        let fields = fields
            .named
            .iter()
            .filter_map(|f| {
                let ident = f.ident.as_ref()?.to_string();
                let name = serde_rename(&f.attrs)
                    .unwrap_or_else(|| ident.trim_start_matches("r#").to_string());
                Some((name, f.ty.clone()))
            })
            .collect();
        structs.insert(s.ident.to_string(), fields);
    }
    structs
}

/// The `rename = "..."` of a field's `#[serde(...)]`.
fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                found = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    found
}

/// The last path segment of a type and its generic arguments.
fn segment(ty: &syn::Type) -> Option<(String, Vec<&syn::Type>)> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    let args = match &last.arguments {
        syn::PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|arg| match arg {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Some((last.ident.to_string(), args))
}

/// Writes the `validation` module.
struct Emitter<'a> {
    doc: &'a Value,
    structs: HashMap<String, Vec<(String, syn::Type)>>,
    /// Schema pointer to the name of its static.
    names: BTreeMap<String, syn::Ident>,
    /// Generated type to the schema it was built from.
    types: BTreeMap<String, String>,
    /// Whether a schema has any constraint, itself or inside.
    constrained: HashMap<String, bool>,
    /// Patterns that do not compile.
    bad_patterns: Vec<String>,
}

impl<'a> Emitter<'a> {
    fn new(doc: &'a Value, file: &syn::File) -> Self {
        Self {
            doc,
            structs: struct_fields(file),
            names: BTreeMap::new(),
            types: BTreeMap::new(),
            constrained: HashMap::new(),
            bad_patterns: Vec::new(),
        }
    }

    fn schema(&self, pointer: &str) -> &'a Value {
        self.doc.pointer(pointer).unwrap_or(&Value::Null)
    }

    /// Records that generated type `name` serializes as the schema at
    /// `pointer`, and so on for the types of its fields.
    fn bind_type(&mut self, name: &str, pointer: &str) {
        if self.types.contains_key(name) || !self.structs.contains_key(name) {
            return;
        }
        self.types.insert(name.to_string(), pointer.to_string());
        self.names
            .entry(pointer.to_string())
            .or_insert_with(|| ident(name));
        let fields = self.structs[name].clone();
        for (field, ty) in fields {
            if let Some(property) = self.property(pointer, &field, 0) {
                self.bind_field(&ty, property);
            }
        }
    }

    /// The schema of property `name` of the object schema at `pointer`,
    /// looking into `allOf` members as well.
    fn property(&self, pointer: &str, name: &str, depth: usize) -> Option<String> {
        let own = format!("{pointer}/properties/{}", escape(name));
        if self.doc.pointer(&own).is_some() {
            return Some(resolve(self.doc, own));
        }
        let members = self
            .schema(pointer)
            .get("allOf")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        (0..members).filter(|_| depth < 8).find_map(|i| {
            let member = resolve(self.doc, format!("{pointer}/allOf/{i}"));
            self.property(&member, name, depth + 1)
        })
    }

    /// Peels wrappers off a field type alongside its schema.
    fn bind_field(&mut self, ty: &syn::Type, pointer: String) {
        let Some((name, args)) = segment(ty) else {
            return;
        };
        let inner = |key: &str| resolve(self.doc, format!("{pointer}/{key}"));
        match (name.as_str(), args.as_slice()) {
            ("Option" | "Box", [t]) => self.bind_field(t, pointer),
            ("Vec", [t]) => {
                let items = inner("items");
                self.bind_field(t, items);
            }
            ("HashMap" | "BTreeMap", [_, t]) => {
                let values = inner("additionalProperties");
                self.bind_field(t, values);
            }
            (_, []) => self.bind_type(&name, &pointer),
            _ => {}
        }
    }

    /// The static for the schema at `pointer`, when it has constraints.
    fn static_name(&mut self, pointer: &str) -> Option<syn::Ident> {
        if !self.is_constrained(pointer, &mut HashSet::new()) {
            return None;
        }
        self.names.get(pointer).cloned()
    }

    /// A static for a body with no named type, named after its operation.
    fn static_for_body(&mut self, operation: &str, pointer: &str) -> Option<syn::Ident> {
        if !self.is_constrained(pointer, &mut HashSet::new()) {
            return None;
        }
        let name = self
            .names
            .entry(pointer.to_string())
            .or_insert_with(|| ident(&format!("{operation}_body")));
        Some(name.clone())
    }

    fn is_constrained(&mut self, pointer: &str, visiting: &mut HashSet<String>) -> bool {
        if let Some(&known) = self.constrained.get(pointer) {
            return known;
        }
        if !visiting.insert(pointer.to_string()) {
            return false;
        }
        let schema = self.schema(pointer);
        let result = !checks(schema).is_empty()
            || schema
                .get("required")
                .and_then(Value::as_array)
                .is_some_and(|r| !r.is_empty())
            || children(pointer, schema)
                .into_iter()
                .any(|child| self.is_constrained(&resolve(self.doc, child), visiting));
        visiting.remove(pointer);
        self.constrained.insert(pointer.to_string(), result);
        result
    }

    /// `Schema { .. }` for the schema at `pointer`; children that have a
    /// static are referred to by name.
    fn schema_expr(&mut self, pointer: &str, needed: &mut Vec<String>) -> TokenStream {
        let schema = self.schema(pointer);
        let mut fields = Vec::new();
        let checks = checks(schema);
        for check in &checks {
            if let Check::Pattern(p) = check
                && regress::Regex::new(p).is_err()
            {
                self.bad_patterns.push(format!("{pointer}: {p}"));
            }
        }
        if !checks.is_empty() {
            let checks = checks.iter().map(Check::tokens);
            fields.push(quote!(checks: &[#(#checks),*],));
        }
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !required.is_empty() {
            fields.push(quote!(required: &[#(#required),*],));
        }
        let mut properties = Vec::new();
        let names: Vec<String> = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        for name in names {
            let child = format!("{pointer}/properties/{}", escape(&name));
            if let Some(child) = self.child_expr(child, needed) {
                properties.push(quote!((#name, #child)));
            }
        }
        if !properties.is_empty() {
            fields.push(quote!(properties: &[#(#properties),*],));
        }
        for (key, field) in [("additionalProperties", "values"), ("items", "items")] {
            if schema.get(key).is_some_and(Value::is_object)
                && let Some(child) = self.child_expr(format!("{pointer}/{key}"), needed)
            {
                let field = syn::Ident::new(field, Span::call_site());
                fields.push(quote!(#field: Some(#child),));
            }
        }
        for (key, field) in [
            ("allOf", "all_of"),
            ("anyOf", "any_of"),
            ("oneOf", "any_of"),
        ] {
            let count = schema
                .get(key)
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let members: Vec<TokenStream> = (0..count)
                .filter_map(|i| self.child_expr(format!("{pointer}/{key}/{i}"), needed))
                .collect();
            // A member without constraints always holds, and so does the union.
            if !members.is_empty() && (key == "allOf" || members.len() == count) {
                let field = syn::Ident::new(field, Span::call_site());
                fields.push(quote!(#field: &[#(#members),*],));
            }
        }
        quote!(Schema {
            #(#fields)*
            ..Schema::EMPTY
        })
    }

    /// A reference to a child schema, or `None` when it has no constraints.
    fn child_expr(&mut self, pointer: String, needed: &mut Vec<String>) -> Option<TokenStream> {
        let was_ref = self
            .doc
            .pointer(&pointer)
            .is_some_and(|s| s.get("$ref").is_some());
        let pointer = resolve(self.doc, pointer);
        if !self.is_constrained(&pointer, &mut HashSet::new()) {
            return None;
        }
        if was_ref && !self.names.contains_key(&pointer) {
            let component = pointer.rsplit('/').next().unwrap_or("schema");
            self.names
                .insert(pointer.clone(), ident(&format!("schema_{component}")));
        }
        match self.names.get(&pointer).cloned() {
            Some(name) => {
                needed.push(pointer);
                Some(quote!(&#name))
            }
            None => {
                let expr = self.schema_expr(&pointer, needed);
                Some(quote!(&#expr))
            }
        }
    }

    /// The module: a static per named schema that is used, and an impl per
    /// generated type with constraints.
    fn finish(mut self) -> Result<TokenStream, String> {
        let mut impls = Vec::new();
        let mut needed: Vec<String> = Vec::new();
        for (name, pointer) in self.types.clone() {
            if let Some(schema) = self.static_name(&pointer) {
                let ty = syn::Ident::new(&name, Span::call_site());
                impls.push(quote! {
                    impl Validate for types::#ty {
                        fn validate(&self) -> Result<(), Violation> {
                            check(self, &#schema)
                        }
                    }
                });
                needed.push(pointer);
            }
        }
        let bodies: Vec<String> = self
            .names
            .keys()
            .filter(|p| !self.types.values().any(|t| t == *p))
            .cloned()
            .collect();
        for pointer in bodies {
            if self.is_constrained(&pointer, &mut HashSet::new()) {
                needed.push(pointer);
            }
        }
        let mut statics = BTreeMap::new();
        while let Some(pointer) = needed.pop() {
            let Some(name) = self.names.get(&pointer).cloned() else {
                continue;
            };
            if statics.contains_key(&name.to_string()) {
                continue;
            }
            // Reserve the name before descending, for schemas that nest themselves.
            statics.insert(name.to_string(), quote!());
            let expr = self.schema_expr(&pointer, &mut needed);
            statics.insert(
                name.to_string(),
                quote! {
                    pub static #name: Schema = #expr;
                },
            );
        }
        if !self.bad_patterns.is_empty() {
            return Err(format!(
                "patterns that do not compile:\n  {}",
                self.bad_patterns.join("\n  ")
            ));
        }
        if statics.is_empty() {
            return Ok(quote!());
        }
        let statics = statics.into_values();
        Ok(quote! {
            /// What the spec allows in request bodies, checked before sending.
            pub mod validation {
                #[allow(unused_imports)]
                use ::appsec_runtime::validate::{Check, Schema, Validate, Violation, check};
                #[allow(unused_imports)]
                use super::types;
                #(#statics)*
                #(#impls)*
            }
        })
    }
}

fn ident(name: &str) -> syn::Ident {
    syn::Ident::new(&name.to_shouty_snake_case(), Span::call_site())
}

/// Pointers of the schemas nested directly in `schema`.
fn children(pointer: &str, schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        out.extend(
            properties
                .keys()
                .map(|k| format!("{pointer}/properties/{}", escape(k))),
        );
    }
    for key in ["items", "additionalProperties"] {
        if schema.get(key).is_some_and(Value::is_object) {
            out.push(format!("{pointer}/{key}"));
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        let count = schema
            .get(key)
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        out.extend((0..count).map(|i| format!("{pointer}/{key}/{i}")));
    }
    out
}

/// A check as the generator reads it from a schema.
enum Check {
    Count(&'static str, u64),
    Bound(&'static str, f64),
    Pattern(String),
    Flag(&'static str),
}

impl Check {
    fn tokens(&self) -> TokenStream {
        let variant = |name: &str| syn::Ident::new(name, Span::call_site());
        match self {
            Check::Count(name, n) => {
                let v = variant(name);
                let n = *n as usize;
                quote!(Check::#v(#n))
            }
            Check::Bound(name, x) => {
                let v = variant(name);
                quote!(Check::#v(#x))
            }
            Check::Pattern(p) => quote!(Check::Pattern(#p)),
            Check::Flag(name) => {
                let v = variant(name);
                quote!(Check::#v)
            }
        }
    }
}

/// The checks a schema states about its own value.
fn checks(schema: &Value) -> Vec<Check> {
    let mut out = Vec::new();
    let count = |key: &str| schema.get(key).and_then(Value::as_u64);
    for (key, name) in [
        ("minItems", "MinItems"),
        ("maxItems", "MaxItems"),
        ("minLength", "MinLength"),
        ("maxLength", "MaxLength"),
        ("minProperties", "MinProperties"),
        ("maxProperties", "MaxProperties"),
    ] {
        match count(key) {
            // A lower bound of zero holds for everything.
            Some(0) if key.starts_with("min") => {}
            Some(n) => out.push(Check::Count(name, n)),
            None => {}
        }
    }
    if schema.get("uniqueItems") == Some(&Value::Bool(true)) {
        out.push(Check::Flag("UniqueItems"));
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        out.push(Check::Pattern(pattern.to_string()));
    }
    if schema.get("format").and_then(Value::as_str) == Some("uri") {
        out.push(Check::Flag("Uri"));
    }
    let exclusive = |key: &str| schema.get(key) == Some(&Value::Bool(true));
    if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
        let name = if exclusive("exclusiveMinimum") {
            "ExclusiveMinimum"
        } else {
            "Minimum"
        };
        out.push(Check::Bound(name, min));
    }
    if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
        let name = if exclusive("exclusiveMaximum") {
            "ExclusiveMaximum"
        } else {
            "Maximum"
        };
        out.push(Check::Bound(name, max));
    }
    out
}
