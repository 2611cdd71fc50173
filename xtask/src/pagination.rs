//! Paginated operations: reads each operation's `x-pagination` extension and
//! implements `appsec_runtime::pages` on its generated builder.
//!
//! The extension names the style and where things are:
//!
//! ```yaml
//! x-pagination: {style: offset, position: startAt, size: maxResults, items: values,
//!   start_at: startAt, max_results: maxResults, total: total, is_last: isLast}
//! x-pagination: {style: page, position: page, items: response.findings,
//!   next_page: next_page, has_more: response.has_more}
//! x-pagination: {style: cursor, position: upto, items: response.scans, next_page: next_page}
//! ```
//!
//! `position` and `size` are query parameters; the other values are paths of
//! JSON property names in the success body. Every name is checked against
//! what progenitor generated, so a marked operation that lacks a parameter or
//! field its style needs fails generation with the operation's name. Setter
//! arguments take the parameter's generated type: strings get the number's
//! decimal text, numbers the number converted to the parameter's type (a
//! value the type cannot hold makes the setter return `None`).

use heck::{ToSnakeCase, ToUpperCamelCase};
use openapiv3::{OpenAPI, Operation, Parameter, ReferenceOr};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::Error;

/// The file with a paginator impl in `mod builder` for every operation marked
/// with `x-pagination`.
pub fn attach(spec_name: &str, spec: &OpenAPI, file: &syn::File) -> Result<TokenStream, Error> {
    let mut impls = Vec::new();
    let mut problems = Vec::new();
    for (id, op) in operations(spec) {
        let Some(marking) = op.extensions.get("x-pagination") else {
            continue;
        };
        match listing_impl(spec, file, id, op, marking) {
            Ok(tokens) => impls.push(tokens),
            Err(problem) => problems.push(format!("operation {id}: x-pagination {problem}")),
        }
    }
    if !problems.is_empty() {
        return Err(Error::new(spec_name, problems.join("\n  ")));
    }
    let mut file = file.clone();
    let builder = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_mut(),
        _ => None,
    });
    match builder {
        Some((_, items)) => {
            for tokens in impls {
                let parsed: syn::File = syn::parse2(tokens)
                    .map_err(|e| Error::new(spec_name, format!("pagination impl: {e}")))?;
                items.extend(parsed.items);
            }
        }
        None if impls.is_empty() => {}
        None => {
            return Err(Error::new(
                spec_name,
                "no builder module to attach pagination to",
            ));
        }
    }
    Ok(quote!(#file))
}

fn operations(spec: &OpenAPI) -> impl Iterator<Item = (&str, &Operation)> {
    spec.paths
        .paths
        .values()
        .filter_map(ReferenceOr::as_item)
        .flat_map(|item| item.iter().map(|(_, op)| op))
        .filter_map(|op| Some((op.operation_id.as_deref()?, op)))
}

/// The style a marking names, and which of its keys are required or allowed.
#[derive(Clone, Copy)]
enum Style {
    Offset,
    Page,
    Cursor,
}

impl Style {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "offset" => Some(Self::Offset),
            "page" => Some(Self::Page),
            "cursor" => Some(Self::Cursor),
            _ => None,
        }
    }

    fn required(self) -> &'static [&'static str] {
        match self {
            Self::Offset => &["position", "size", "items", "is_last"],
            Self::Page => &["position", "items"],
            Self::Cursor => &["position", "items", "next_page"],
        }
    }

    fn optional(self) -> &'static [&'static str] {
        match self {
            Self::Offset => &["start_at", "max_results", "total"],
            Self::Page => &["next_page", "has_more"],
            Self::Cursor => &[],
        }
    }
}

fn listing_impl(
    spec: &OpenAPI,
    file: &syn::File,
    id: &str,
    op: &Operation,
    marking: &Value,
) -> Result<TokenStream, String> {
    let map = marking
        .as_object()
        .ok_or("must be a mapping of keys to names")?;
    let style_name = map
        .get("style")
        .and_then(Value::as_str)
        .ok_or("needs `style`")?;
    let style = Style::parse(style_name)
        .ok_or_else(|| format!("has unknown style {style_name:?} (offset, page or cursor)"))?;
    let key = |k: &str| map.get(k).and_then(Value::as_str);
    for k in map.keys().filter(|k| *k != "style") {
        if !style.required().contains(&k.as_str()) && !style.optional().contains(&k.as_str()) {
            return Err(format!("key `{k}` does not apply to style {style_name}"));
        }
        if key(k).is_none() {
            return Err(format!("key `{k}` must be a string"));
        }
    }
    if let Some(missing) = style.required().iter().find(|k| key(k).is_none()) {
        return Err(format!("style {style_name} needs `{missing}`"));
    }

    let builder_name = format_ident!("{}", id.to_snake_case().to_upper_camel_case());
    let builder = Builder::find(file, &builder_name.to_string())
        .ok_or_else(|| format!("has no generated builder {builder_name}"))?;
    let (response_ty, error_ty) = builder.send_types()?;
    let types = Types::of(file).ok_or("generated code has no types module")?;
    let response = types
        .named(&response_ty)
        .ok_or("success body is not a generated struct")?;

    let position = key("position").unwrap_or_default();
    let position_setter = query_setter(spec, op, &builder, position)?;

    // Scalars are read by reference before the items are moved out.
    let scalar = |k: &str, kind: Kind| -> Result<TokenStream, String> {
        match key(k) {
            None => Ok(quote!(None)),
            Some(path) => types
                .read(response, path, kind)
                .map_err(|e| format!("`{k}: {path}`: {e}")),
        }
    };
    let start_at = scalar("start_at", Kind::Number)?;
    let max_results = scalar("max_results", Kind::Number)?;
    let total = scalar("total", Kind::Number)?;
    let is_last = scalar("is_last", Kind::Bool)?;
    let next_page = scalar("next_page", Kind::Text)?;
    let has_more = scalar("has_more", Kind::Bool)?;
    let items_path = key("items").unwrap_or_default();
    let (items, item_ty) = types
        .items(response, items_path)
        .map_err(|e| format!("`items: {items_path}`: {e}"))?;

    let runtime = quote!(::appsec_runtime::pages);
    let client = quote!(::progenitor_client);
    let (marker, style_impl) = match style {
        Style::Offset => {
            let size_setter = query_setter(spec, op, &builder, key("size").unwrap_or_default())?;
            let start = position_setter.set_number(quote!(start_at));
            let size = size_setter.set_number(quote!(max_results));
            (
                quote!(Offset),
                quote! {
                    impl<'a> #runtime::OffsetListing for #builder_name<'a> {
                        fn at_offset(self, start_at: u64, max_results: u64) -> Option<Self> {
                            Some(self #start #size)
                        }
                    }
                },
            )
        }
        Style::Page => {
            let page = position_setter.set_number(quote!(page));
            let until_empty = key("next_page").is_none() && key("has_more").is_none();
            (
                quote!(Numbered),
                quote! {
                    impl<'a> #runtime::NumberedListing for #builder_name<'a> {
                        const UNTIL_EMPTY: bool = #until_empty;
                        fn at_page(self, page: u64) -> Option<Self> {
                            Some(self #page)
                        }
                    }
                },
            )
        }
        Style::Cursor => {
            let setter = &position_setter.setter;
            let set = if position_setter.is_text {
                quote!(Some(self.#setter(cursor.to_string())))
            } else {
                let ty = &position_setter.ty;
                quote!(cursor.parse::<#ty>().ok().map(|value| self.#setter(value)))
            };
            (
                quote!(Cursor),
                quote! {
                    impl<'a> #runtime::CursorListing for #builder_name<'a> {
                        fn at_cursor(self, cursor: &str) -> Option<Self> {
                            #set
                        }
                    }
                },
            )
        }
    };
    Ok(quote! {
        impl<'a> #runtime::Listing for #builder_name<'a> {
            type Style = #runtime::#marker;
            type Response = #response_ty;
            type ErrorBody = #error_ty;
            type Item = #item_ty;
            const POSITION: &'static str = #position;

            fn base_url(&self) -> &str {
                <super::Client as #client::ClientInfo<::appsec_runtime::ClientContext>>::baseurl(
                    self.client,
                )
            }

            fn send_page(
                self,
            ) -> impl ::std::future::Future<
                Output = Result<#client::ResponseValue<#response_ty>, #client::Error<#error_ty>>,
            > + Send {
                self.send()
            }

            fn read_page(response: #response_ty) -> #runtime::Page<#item_ty> {
                let start_at = #start_at;
                let max_results = #max_results;
                let total = #total;
                let is_last = #is_last;
                let next_page = #next_page;
                let has_more = #has_more;
                #runtime::Page {
                    items: #items,
                    start_at,
                    max_results,
                    total,
                    is_last,
                    next_page,
                    has_more,
                }
            }
        }
        #style_impl
    })
}

/// A generated builder struct and its `impl` blocks.
struct Builder<'f> {
    fields: &'f syn::FieldsNamed,
    methods: Vec<&'f syn::ImplItemFn>,
}

impl<'f> Builder<'f> {
    fn find(file: &'f syn::File, name: &str) -> Option<Self> {
        let items = module(&file.items, "builder")?;
        let fields = items.iter().find_map(|item| match item {
            syn::Item::Struct(s) if s.ident == name => match &s.fields {
                syn::Fields::Named(f) => Some(f),
                _ => None,
            },
            _ => None,
        })?;
        let methods = items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Impl(i)
                    if i.trait_.is_none() && last_ident(&i.self_ty).as_deref() == Some(name) =>
                {
                    Some(i)
                }
                _ => None,
            })
            .flat_map(|i| &i.items)
            .filter_map(|item| match item {
                syn::ImplItem::Fn(f) => Some(f),
                _ => None,
            })
            .collect();
        Some(Self { fields, methods })
    }

    /// `R` and `E` of `send(self) -> Result<ResponseValue<R>, Error<E>>`.
    fn send_types(&self) -> Result<(syn::Type, syn::Type), String> {
        let send = self
            .methods
            .iter()
            .find(|f| f.sig.ident == "send")
            .ok_or("builder has no send()")?;
        let syn::ReturnType::Type(_, ty) = &send.sig.output else {
            return Err("send() returns nothing".into());
        };
        let [ok, err] = generic_args(ty, "Result")
            .and_then(|args| <[syn::Type; 2]>::try_from(args).ok())
            .ok_or("send() does not return a Result")?;
        let response = generic_args(&ok, "ResponseValue")
            .and_then(|args| args.into_iter().next())
            .ok_or("send() does not return a ResponseValue")?;
        let error = generic_args(&err, "Error")
            .and_then(|args| args.into_iter().next())
            .ok_or("send() does not fail with an Error")?;
        Ok((response, error))
    }

    /// The type a builder field holds: `T` of `Result<Option<T>, String>`.
    fn field_type(&self, name: &str) -> Option<syn::Type> {
        let field = self
            .fields
            .named
            .iter()
            .find(|f| f.ident.as_ref().is_some_and(|i| i == name))?;
        let ok = generic_args(&field.ty, "Result")?.into_iter().next()?;
        generic_args(&ok, "Option")?.into_iter().next()
    }
}

/// How a position parameter is set on a builder.
struct Setter {
    setter: syn::Ident,
    ty: syn::Type,
    is_text: bool,
}

impl Setter {
    /// `.setter(n)` for a `u64` named `n`, converted to the parameter's type
    /// (inside a function returning `Option`: `None` when it does not fit).
    fn set_number(&self, n: TokenStream) -> TokenStream {
        let setter = &self.setter;
        if self.is_text {
            quote!(.#setter(#n.to_string()))
        } else {
            let ty = &self.ty;
            quote!(.#setter(<#ty as ::std::convert::TryFrom<u64>>::try_from(#n).ok()?))
        }
    }
}

/// The builder setter for query parameter `name` of `op`, typed as the spec
/// (through progenitor) types it.
fn query_setter(
    spec: &OpenAPI,
    op: &Operation,
    builder: &Builder<'_>,
    name: &str,
) -> Result<Setter, String> {
    let declared = op.parameters.iter().chain(shared_parameters(spec, op)).any(|p| {
        let p = match p {
            ReferenceOr::Item(p) => Some(p),
            ReferenceOr::Reference { reference } => reference
                .strip_prefix("#/components/parameters/")
                .and_then(|n| spec.components.as_ref()?.parameters.get(n))
                .and_then(ReferenceOr::as_item),
        };
        matches!(p, Some(Parameter::Query { parameter_data, .. }) if parameter_data.name == name)
    });
    if !declared {
        return Err(format!(
            "names query parameter `{name}`, which the operation does not have"
        ));
    }
    let setter = format_ident!("{}", name.to_snake_case());
    let ty = builder
        .field_type(&setter.to_string())
        .ok_or_else(|| format!("parameter `{name}` has no builder setter `{setter}`"))?;
    let is_text = last_ident(&ty).as_deref() == Some("String");
    let numeric = matches!(
        last_ident(&ty).as_deref(),
        Some("i32" | "i64" | "u32" | "u64" | "NonZeroU32" | "NonZeroU64")
    );
    if !is_text && !numeric {
        return Err(format!(
            "parameter `{name}` is typed {}, not a string or an integer",
            quote!(#ty)
        ));
    }
    Ok(Setter {
        setter,
        ty,
        is_text,
    })
}

/// Parameters declared on the path item that holds `op`.
fn shared_parameters<'s>(
    spec: &'s OpenAPI,
    op: &Operation,
) -> impl Iterator<Item = &'s ReferenceOr<Parameter>> {
    spec.paths
        .paths
        .values()
        .filter_map(ReferenceOr::as_item)
        .find(|item| {
            item.iter()
                .any(|(_, o)| o.operation_id.is_some() && o.operation_id == op.operation_id)
        })
        .into_iter()
        .flat_map(|item| &item.parameters)
}

/// What a response field must hold.
#[derive(Clone, Copy)]
enum Kind {
    Number,
    Bool,
    Text,
}

/// The structs of the generated `types` module.
struct Types<'f> {
    items: &'f [syn::Item],
}

impl<'f> Types<'f> {
    fn of(file: &'f syn::File) -> Option<Self> {
        module(&file.items, "types").map(|items| Self { items })
    }

    fn named(&self, ty: &syn::Type) -> Option<&'f syn::ItemStruct> {
        let name = last_ident(ty)?;
        self.items.iter().find_map(|item| match item {
            syn::Item::Struct(s) if s.ident == name => Some(s),
            _ => None,
        })
    }

    /// Walks `path` (JSON names) from `root`: each step's field and type,
    /// with `Option` taken off and whether it was there.
    fn walk(
        &self,
        root: &'f syn::ItemStruct,
        path: &str,
    ) -> Result<Vec<(syn::Ident, syn::Type, bool)>, String> {
        let mut current = root;
        let mut steps: Vec<(syn::Ident, syn::Type, bool)> = Vec::new();
        for (i, name) in path.split('.').enumerate() {
            if i > 0 {
                let (_, ty, _) = steps.last().ok_or("empty path")?;
                current = self
                    .named(ty)
                    .ok_or_else(|| format!("`{name}` is read from a value that is not a struct"))?;
            }
            let syn::Fields::Named(fields) = &current.fields else {
                return Err(format!("{} has no named fields", current.ident));
            };
            let field = fields
                .named
                .iter()
                .find(|f| json_name(f).as_deref() == Some(name))
                .ok_or_else(|| format!("{} has no field `{name}`", current.ident))?;
            let (ty, optional) = match generic_args(&field.ty, "Option") {
                Some(args) => (args.into_iter().next().ok_or("bad Option")?, true),
                None => (field.ty.clone(), false),
            };
            steps.push((field.ident.clone().ok_or("unnamed field")?, ty, optional));
        }
        Ok(steps)
    }

    /// An expression `Option<_>` reading a scalar at `path` of `response`.
    fn read(
        &self,
        root: &'f syn::ItemStruct,
        path: &str,
        kind: Kind,
    ) -> Result<TokenStream, String> {
        let steps = self.walk(root, path)?;
        let (_, last_ty, _) = steps.last().ok_or("empty path")?;
        let newtype = self.newtype_of(last_ty);
        let leaf = newtype.clone().unwrap_or_else(|| last_ty.clone());
        let leaf_name = last_ident(&leaf).unwrap_or_default();
        let (copied, cloned) = match newtype {
            Some(_) => (quote!(v.0), quote!(v.0.clone())),
            None => (quote!(*v), quote!(v.clone())),
        };
        let convert = match (kind, leaf_name.as_str()) {
            (Kind::Bool, "bool") => copied,
            (Kind::Number, "i32" | "i64" | "u32" | "u64") => {
                quote!(::appsec_runtime::pages::reported(#copied))
            }
            (Kind::Text, "String") => cloned,
            _ => {
                return Err(format!(
                    "is typed {}, not {}",
                    quote!(#leaf),
                    match kind {
                        Kind::Number => "an integer",
                        Kind::Bool => "a boolean",
                        Kind::Text => "a string",
                    }
                ));
            }
        };
        // A plain field path until the first `Option`, then `Option<&_>`.
        let mut place = quote!(response);
        let mut chain: Option<TokenStream> = None;
        for (field, _, optional) in &steps {
            chain = match chain {
                None => {
                    place = quote!(#place.#field);
                    optional.then(|| quote!(#place.as_ref()))
                }
                Some(e) if *optional => Some(quote!(#e.and_then(|v| v.#field.as_ref()))),
                Some(e) => Some(quote!(#e.map(|v| &v.#field))),
            };
        }
        Ok(match chain {
            Some(e) => quote!(#e.map(|v| #convert)),
            None => quote!({
                let v = &#place;
                Some(#convert)
            }),
        })
    }

    /// An expression moving the items at `path` out of `response`, and the
    /// item type.
    fn items(
        &self,
        root: &'f syn::ItemStruct,
        path: &str,
    ) -> Result<(TokenStream, TokenStream), String> {
        let steps = self.walk(root, path)?;
        let (_, last_ty, _) = steps.last().ok_or("empty path")?;
        let (list, unwrap) = match self.newtype_of(last_ty) {
            Some(inner) => (inner, quote!(.map(|v| v.0))),
            None => (last_ty.clone(), quote!()),
        };
        let item = generic_args(&list, "Vec")
            .and_then(|args| args.into_iter().next())
            .ok_or_else(|| format!("is typed {}, not a list", quote!(#list)))?;
        let mut place = quote!(response);
        let mut chain: Option<TokenStream> = None;
        for (field, _, optional) in &steps {
            chain = match chain {
                None => {
                    place = quote!(#place.#field);
                    optional.then(|| place.clone())
                }
                Some(e) if *optional => Some(quote!(#e.and_then(|v| v.#field))),
                Some(e) => Some(quote!(#e.map(|v| v.#field))),
            };
        }
        let items = match chain {
            Some(e) => quote!(#e #unwrap .unwrap_or_default()),
            None if unwrap.is_empty() => place,
            None => quote!(#place.0),
        };
        Ok((items, in_types(&item)))
    }

    /// `T` when `ty` names a generated `struct X(pub T)`.
    fn newtype_of(&self, ty: &syn::Type) -> Option<syn::Type> {
        match &self.named(ty)?.fields {
            syn::Fields::Unnamed(f) if f.unnamed.len() == 1 => Some(f.unnamed[0].ty.clone()),
            _ => None,
        }
    }
}

/// A type written inside `mod types`, as seen from `mod builder`.
fn in_types(ty: &syn::Type) -> TokenStream {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() && p.path.leading_colon.is_none() => {
            quote!(types::#p)
        }
        _ => quote!(#ty),
    }
}

/// The JSON property a generated field reads: its `serde(rename)`, else its name.
fn json_name(field: &syn::Field) -> Option<String> {
    let mut renamed = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let lit: syn::LitStr = meta.value()?.parse()?;
                renamed = Some(lit.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    renamed.or_else(|| {
        field
            .ident
            .as_ref()
            .map(|i| i.to_string().trim_start_matches("r#").to_string())
    })
}

fn module<'f>(items: &'f [syn::Item], name: &str) -> Option<&'f [syn::Item]> {
    items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == name => m.content.as_ref().map(|(_, i)| i.as_slice()),
        _ => None,
    })
}

fn last_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// The type arguments of `ty` when its last segment is `name<..>`.
fn generic_args(ty: &syn::Type, name: &str) -> Option<Vec<syn::Type>> {
    let syn::Type::Path(p) = ty else {
        return None;
    };
    let last = p.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    Some(
        args.args
            .iter()
            .filter_map(|a| match a {
                syn::GenericArgument::Type(t) => Some(t.clone()),
                _ => None,
            })
            .collect(),
    )
}
