//! Edits to progenitor's output that make the generated crate complete on
//! its own: facts progenitor cannot write into requests, forward-compatible
//! types, JSON answers decoded from the bytes the runtime read, and the
//! hooks that connect the client to the runtime.
//!
//! Each edit works on the parsed file, so nothing is patched per request at
//! run time.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::visit::Visit;
use syn::visit_mut::VisitMut;

use crate::normalize::OperationFacts;

/// The name of the variant that holds values a spec does not list.
pub const CATCH_ALL: &str = "Other";

/// Every operation id progenitor wrote into an `OperationInfo`, in file order.
pub fn operation_ids(file: &syn::File) -> Vec<String> {
    let mut ids = Ids::default();
    ids.visit_file(file);
    ids.0
}

#[derive(Default)]
struct Ids(Vec<String>);

impl Visit<'_> for Ids {
    fn visit_expr_struct(&mut self, node: &syn::ExprStruct) {
        if let Some(id) = operation_info_id(node) {
            self.0.push(id);
        }
        syn::visit::visit_expr_struct(self, node);
    }
}

fn operation_info_id(node: &syn::ExprStruct) -> Option<String> {
    if node.path.segments.last()?.ident != "OperationInfo" {
        return None;
    }
    node.fields
        .iter()
        .find_map(|field| match (&field.member, &field.expr) {
            (
                syn::Member::Named(name),
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }),
            ) if name == "operation_id" => Some(s.value()),
            _ => None,
        })
}

/// Writes the spec's facts into each operation's request code: no
/// `api-version` header (neither service documents one), the real media type
/// of relabelled bodies, and comma-joined `explode: false` query arrays.
/// `facts` is keyed by progenitor's operation id.
pub fn request_facts(file: &mut syn::File, facts: &BTreeMap<String, &OperationFacts>) {
    struct Requests<'a> {
        facts: &'a BTreeMap<String, &'a OperationFacts>,
    }
    impl VisitMut for Requests<'_> {
        fn visit_block_mut(&mut self, block: &mut syn::Block) {
            drop_api_version(block);
            syn::visit_mut::visit_block_mut(self, block);
        }
        fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
            let mut ids = Ids::default();
            ids.visit_block(&f.block);
            if let Some(facts) = ids.0.first().and_then(|id| self.facts.get(id)) {
                let mut edit = OperationRequest { facts };
                edit.visit_block_mut(&mut f.block);
            }
            syn::visit_mut::visit_impl_item_fn_mut(self, f);
        }
    }
    Requests { facts }.visit_file_mut(file);
}

/// Removes `header_map.append("api-version", ...)` and shrinks the map's
/// capacity to what is left.
fn drop_api_version(block: &mut syn::Block) {
    let before = block.stmts.len();
    block.stmts.retain(|stmt| {
        let text = quote!(#stmt).to_string();
        !(text.starts_with("header_map . append") && text.contains("\"api-version\""))
    });
    let removed = before - block.stmts.len();
    if removed == 0 {
        return;
    }
    /// Entries removed, and the capacity left once they are.
    struct Capacity(usize, usize);
    impl VisitMut for Capacity {
        fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
            let is_with_capacity = matches!(&*call.func, syn::Expr::Path(p)
                if p.path.segments.last().is_some_and(|s| s.ident == "with_capacity"));
            if is_with_capacity
                && let Some(syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(n),
                    ..
                })) = call.args.first_mut()
                && let Ok(value) = n.base10_parse::<usize>()
            {
                let left = value.saturating_sub(self.0);
                self.1 = left;
                *n = syn::LitInt::new(&format!("{left}usize"), n.span());
            }
        }
    }
    for stmt in &mut block.stmts {
        if let syn::Stmt::Local(local) = stmt
            && matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "header_map")
        {
            let mut capacity = Capacity(removed, usize::MAX);
            capacity.visit_local_mut(local);
            // Nothing is appended any more: the map stays empty.
            if capacity.1 == 0
                && let syn::Pat::Ident(binding) = &mut local.pat
            {
                binding.mutability = None;
            }
        }
    }
}

struct OperationRequest<'a> {
    facts: &'a OperationFacts,
}

impl VisitMut for OperationRequest<'_> {
    fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
        syn::visit_mut::visit_expr_method_call_mut(self, call);
        if call.method == "header"
            && let Some(media_type) = &self.facts.request_content_type
            && call
                .args
                .first()
                .is_some_and(|name| quote!(#name).to_string().ends_with("CONTENT_TYPE"))
        {
            let media_type = media_type.as_str();
            call.args[1] =
                syn::parse_quote!(::reqwest::header::HeaderValue::from_static(#media_type));
        }
    }

    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        syn::visit_mut::visit_block_mut(self, block);
        let names = &self.facts.comma_separated_query;
        if names.is_empty() {
            return;
        }
        let mut i = 0;
        while i < block.stmts.len() {
            let mut moved = Vec::new();
            if let syn::Stmt::Local(local) = &mut block.stmts[i]
                && matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "request")
                && let Some(init) = &mut local.init
            {
                take_query_params(&mut init.expr, names, &mut moved);
            }
            for (name, value) in moved.into_iter().rev() {
                let stmt: syn::Stmt = syn::parse_quote! {
                    ::appsec_runtime::query::append_comma_separated(
                        request.url_mut(), #name, &#value,
                    );
                };
                block.stmts.insert(i + 1, stmt);
            }
            i += 1;
        }
    }
}

/// Removes `.query(&QueryParam::new(name, &value))` for the given names from
/// a request builder chain and returns `(name, value)` for each.
fn take_query_params(expr: &mut syn::Expr, names: &[String], moved: &mut Vec<(String, syn::Expr)>) {
    loop {
        let receiver = match expr {
            syn::Expr::Try(t) => &mut t.expr,
            syn::Expr::MethodCall(call) => {
                if call.method == "query"
                    && let Some(found) = comma_param(&call.args[0], names)
                {
                    moved.push(found);
                    let inner = (*call.receiver).clone();
                    *expr = inner;
                    continue;
                }
                &mut call.receiver
            }
            _ => return,
        };
        take_query_params(receiver, names, moved);
        return;
    }
}

/// `(name, value)` when `arg` is `&QueryParam::new("name", &value)` for a
/// comma-separated name.
fn comma_param(arg: &syn::Expr, names: &[String]) -> Option<(String, syn::Expr)> {
    let syn::Expr::Reference(r) = arg else {
        return None;
    };
    let syn::Expr::Call(call) = &*r.expr else {
        return None;
    };
    let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(name),
        ..
    }) = call.args.first()?
    else {
        return None;
    };
    let name = name.value();
    if !names.contains(&name) {
        return None;
    }
    let value = match call.args.get(1)? {
        syn::Expr::Reference(v) => (*v.expr).clone(),
        other => other.clone(),
    };
    Some((name, value))
}

/// Makes the `types` module safe to depend on while the services move on:
/// string enums keep values the spec does not list (in a `CATCH_ALL`
/// variant), and every type is `#[non_exhaustive]`, so a field or variant
/// added to the spec is not a breaking change for users (they build values
/// with the generated builders, `Default` or serde).
pub fn forward_compatible_types(file: &mut syn::File) -> Result<(), String> {
    let Some(items) = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    }) else {
        return Ok(());
    };
    let mut open = Vec::new();
    for item in items.iter_mut() {
        match item {
            syn::Item::Enum(e) => {
                if let Some(values) = string_enum_values(e) {
                    open_enum(e, &values)?;
                    open.push((e.ident.clone(), values));
                }
                mark_non_exhaustive(&mut e.attrs);
            }
            syn::Item::Struct(s) if matches!(s.vis, syn::Visibility::Public(_)) => {
                mark_non_exhaustive(&mut s.attrs);
            }
            _ => {}
        }
    }
    // typify's conversions for the enums are replaced by infallible ones.
    items.retain(|item| match item {
        syn::Item::Impl(i) => !open.iter().any(|(name, _)| replaced_impl(i, name)),
        _ => true,
    });
    for (name, values) in &open {
        let impls = open_enum_impls(name, values);
        items.push(syn::Item::Verbatim(impls));
    }
    Ok(())
}

/// The wire values of an enum typify made for a `type: string` + `enum`
/// schema: every variant is a unit, and it derives both serde traits.
fn string_enum_values(e: &syn::ItemEnum) -> Option<Vec<(syn::Ident, String)>> {
    let derives = e
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .map(|a| quote!(#a).to_string())
        .collect::<String>();
    let serde_container = e.attrs.iter().any(|a| a.path().is_ident("serde"));
    if !derives.contains("Deserialize") || !derives.contains("Serialize") || serde_container {
        return None;
    }
    e.variants
        .iter()
        .map(|v| {
            if !matches!(v.fields, syn::Fields::Unit) {
                return None;
            }
            let rename = v.attrs.iter().find_map(|a| {
                let mut value = None;
                if a.path().is_ident("serde") {
                    let _ = a.parse_nested_meta(|meta| {
                        if meta.path.is_ident("rename") {
                            value = Some(meta.value()?.parse::<syn::LitStr>()?.value());
                        }
                        Ok(())
                    });
                }
                value
            });
            Some((
                v.ident.clone(),
                rename.unwrap_or_else(|| v.ident.to_string()),
            ))
        })
        .collect()
}

fn open_enum(e: &mut syn::ItemEnum, values: &[(syn::Ident, String)]) -> Result<(), String> {
    if values.iter().any(|(ident, _)| ident == CATCH_ALL) {
        return Err(format!(
            "enum `{}` documents a value named `{CATCH_ALL}`, the name of the catch-all variant",
            e.ident
        ));
    }
    e.attrs.retain(|a| !a.path().is_ident("derive"));
    e.attrs.push(syn::parse_quote!(
        #[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
    ));
    for variant in &mut e.variants {
        variant.attrs.retain(|a| !a.path().is_ident("serde"));
    }
    let catch_all = format_ident!("{CATCH_ALL}");
    e.variants.push(syn::parse_quote! {
        /// A value this version of the SDK does not list, kept exactly as
        /// the service sent it; it is sent back unchanged.
        #catch_all(::std::string::String)
    });
    Ok(())
}

fn replaced_impl(i: &syn::ItemImpl, name: &syn::Ident) -> bool {
    let self_ty = &i.self_ty;
    let is_ours = matches!(&**self_ty, syn::Type::Path(p) if p.path.is_ident(name));
    let trait_name = i
        .trait_
        .as_ref()
        .and_then(|(_, path, _)| path.segments.last())
        .map(|s| s.ident.to_string());
    is_ours
        && matches!(
            trait_name.as_deref(),
            Some("Display" | "FromStr" | "TryFrom")
        )
}

fn open_enum_impls(name: &syn::Ident, values: &[(syn::Ident, String)]) -> TokenStream {
    let catch_all = format_ident!("{CATCH_ALL}");
    let idents: Vec<_> = values.iter().map(|(i, _)| i).collect();
    let wire: Vec<_> = values.iter().map(|(_, w)| w).collect();
    quote! {
        impl #name {
            /// The value as the service writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#idents => #wire,)*
                    Self::#catch_all(value) => value.as_str(),
                }
            }
        }
        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#wire => Self::#idents,)*
                    other => Self::#catch_all(other.to_string()),
                }
            }
        }
        impl ::std::convert::From<::std::string::String> for #name {
            fn from(value: ::std::string::String) -> Self {
                match value.as_str() {
                    #(#wire => Self::#idents,)*
                    _ => Self::#catch_all(value),
                }
            }
        }
        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                ::appsec_runtime::open_enum::deserialize(deserializer)
            }
        }
    }
}

fn mark_non_exhaustive(attrs: &mut Vec<syn::Attribute>) {
    if !attrs.iter().any(|a| a.path().is_ident("non_exhaustive")) {
        attrs.push(syn::parse_quote!(#[non_exhaustive]));
    }
}

/// Lets the length checks of generated string types skip counting
/// characters when the byte length settles them: a string has at most as
/// many characters as bytes and at least a quarter as many. Typify writes
/// `value.chars().count() > N` (maximum) and `< N` (minimum); each becomes
/// the same test behind a byte-length test, so the verdict is unchanged.
pub fn cheap_length_checks(file: &mut syn::File) {
    struct Lengths;
    impl VisitMut for Lengths {
        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            syn::visit_mut::visit_expr_mut(self, expr);
            let syn::Expr::Binary(check) = &*expr else {
                return;
            };
            let Some(value) = counted_chars(&check.left) else {
                return;
            };
            let bound = &check.right;
            let bytes = match check.op {
                syn::BinOp::Gt(_) => quote!(#value.len() > #bound),
                syn::BinOp::Lt(_) => quote!(#value.len() < 4 * #bound),
                _ => return,
            };
            *expr = syn::parse_quote!(#bytes && #check);
        }
    }
    Lengths.visit_file_mut(file);
}

/// `x` when `expr` is `x.chars().count()`.
fn counted_chars(expr: &syn::Expr) -> Option<&syn::Expr> {
    let syn::Expr::MethodCall(count) = expr else {
        return None;
    };
    let syn::Expr::MethodCall(chars) = &*count.receiver else {
        return None;
    };
    let no_args = count.args.is_empty() && chars.args.is_empty();
    (count.method == "count" && chars.method == "chars" && no_args).then_some(&*chars.receiver)
}

/// Points every operation whose documented answer is JSON at the client's
/// `exec_json`, which decodes the answer from the bytes the runtime's
/// request loop already read. Progenitor's own ending (`exec`, `post`, then
/// a match that reads the rebuilt body again) would read and copy each
/// answer twice.
///
/// The ending rewritten is progenitor's, statement for statement; a `send`
/// that decodes JSON in any other shape is an error, so a progenitor update
/// that changes it cannot slip past unrewritten.
pub fn json_answers(file: &mut syn::File) -> Result<(), String> {
    struct Sends(Vec<String>);
    impl VisitMut for Sends {
        fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
            if f.sig.ident == "send"
                && let Err(e) = json_ending(&mut f.block)
            {
                self.0.push(e);
            }
            syn::visit_mut::visit_impl_item_fn_mut(self, f);
        }
    }
    let mut sends = Sends(Vec::new());
    sends.visit_file_mut(file);
    match sends.0.first() {
        None => Ok(()),
        Some(e) => Err(e.clone()),
    }
}

/// Rewrites one `send` body's ending when its success arm decodes JSON.
fn json_ending(block: &mut syn::Block) -> Result<(), String> {
    let text = |stmt: &syn::Stmt| quote!(#stmt).to_string();
    let Some(syn::Stmt::Expr(syn::Expr::Match(answer), None)) = block.stmts.last() else {
        return Ok(());
    };
    let decodes =
        |arm: &syn::Arm| arm_text(arm) == "ResponseValue :: from_response (response) . await";
    if !answer.arms.iter().any(decodes) {
        return Ok(()); // No content, or a stream: `exec` hands the response on.
    }
    let (scrutinee, arms) = (&answer.expr, &answer.arms);
    let shape = |what: &str| format!("`send` of an operation that answers JSON: {what}");
    if quote!(#scrutinee).to_string() != "response . status () . as_u16 ()" {
        return Err(shape("its answer is not matched on the status"));
    }
    let [success, other] = &arms[..] else {
        return Err(shape(
            "the match has other arms than one success and the rest",
        ));
    };
    let (syn::Pat::Lit(status), true) = (&success.pat, decodes(success)) else {
        return Err(shape("the success arm is not one status that decodes JSON"));
    };
    let status = status.clone();
    if !matches!(other.pat, syn::Pat::Wild(_))
        || arm_text(other) != "Err (Error :: UnexpectedResponse (response))"
    {
        return Err(shape("other statuses are not `UnexpectedResponse`"));
    }
    let ending = [
        "let result = client . exec (request , & info) . await ;",
        "client . post (& result , & info) . await ? ;",
        "let response = result ? ;",
    ];
    let n = block.stmts.len();
    let found: Vec<String> = block.stmts[n.saturating_sub(4)..n - 1]
        .iter()
        .map(text)
        .collect();
    if n < 4 || found != ending {
        return Err(shape(
            "the statements before the match are not `exec`, `post`, `result?`",
        ));
    }
    block.stmts.truncate(n - 4);
    block.stmts.push(syn::Stmt::Expr(
        syn::parse_quote!(client.exec_json(request, &info, #status).await),
        None,
    ));
    Ok(())
}

/// An arm's expression as tokens, without the block progenitor may wrap
/// it in.
fn arm_text(arm: &syn::Arm) -> String {
    match &*arm.body {
        syn::Expr::Block(b) if b.block.stmts.len() == 1 => {
            let only = &b.block.stmts[0];
            quote!(#only).to_string()
        }
        body => quote!(#body).to_string(),
    }
}

/// The `ClientHooks` impl that sends every request through the runtime with
/// this crate's operation table, and `exec_json` for operations that answer
/// JSON (see [`json_answers`]).
pub fn hooks_impl() -> TokenStream {
    quote! {
        impl Client {
            /// Sends `request` through the runtime and decodes its JSON
            /// answer with status `success` from the bytes already read.
            /// The runtime's future itself, not wrapped in one more.
            fn exec_json<'a, T: ::serde::de::DeserializeOwned, E>(
                &'a self,
                request: ::reqwest::Request,
                info: &'a OperationInfo,
                success: u16,
            ) -> impl ::std::future::Future<
                Output = ::std::result::Result<ResponseValue<T>, Error<E>>,
            > + Send + 'a {
                let ctx = <Self as ClientInfo<::appsec_runtime::ClientContext>>::inner(self);
                let client = <Self as ClientInfo<::appsec_runtime::ClientContext>>::client(self);
                ::appsec_runtime::hooks::exec_json(client, ctx, &OPERATIONS, request, info, success)
            }
        }

        impl ClientHooks<::appsec_runtime::ClientContext> for Client {
            async fn pre<E>(
                &self,
                request: &mut ::reqwest::Request,
                info: &OperationInfo,
            ) -> ::std::result::Result<(), Error<E>> {
                let ctx = <Self as ClientInfo<::appsec_runtime::ClientContext>>::inner(self);
                ::appsec_runtime::hooks::pre(ctx, &OPERATIONS, request, info)
                    .await
                    .map_err(Error::Custom)
            }

            async fn exec(
                &self,
                request: ::reqwest::Request,
                info: &OperationInfo,
            ) -> ::reqwest::Result<::reqwest::Response> {
                let ctx = <Self as ClientInfo<::appsec_runtime::ClientContext>>::inner(self);
                let client = <Self as ClientInfo<::appsec_runtime::ClientContext>>::client(self);
                ::appsec_runtime::hooks::exec(client, ctx, &OPERATIONS, request, info).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_counts_are_guarded_by_the_byte_length() {
        let mut file: syn::File = syn::parse_quote! {
            fn check(value: &str) -> bool {
                if value.chars().count() > 255usize {
                    return false;
                }
                if value.chars().count() < 1usize {
                    return false;
                }
                value.chars().count() == 3usize
            }
        };
        cheap_length_checks(&mut file);
        let text = quote!(#file).to_string();
        assert!(
            text.contains("value . len () > 255usize && value . chars () . count () > 255usize")
        );
        assert!(
            text.contains("value . len () < 4 * 1usize && value . chars () . count () < 1usize")
        );
        // Equality needs the count itself and is left alone.
        assert!(text.contains("value . chars () . count () == 3usize"));
    }

    /// A builder's `send` as progenitor 0.15 ends it, answering `success`.
    fn send(success: &str) -> syn::File {
        let arm: TokenStream = success.parse().unwrap();
        syn::parse_quote! {
            impl<'a> GetLevel<'a> {
                pub async fn send(self) -> Result<ResponseValue<types::Level>, Error<()>> {
                    let info = OperationInfo { operation_id: "get_level" };
                    client.pre(&mut request, &info).await?;
                    let result = client.exec(request, &info).await;
                    client.post(&result, &info).await?;
                    let response = result?;
                    match response.status().as_u16() {
                        #arm
                        _ => Err(Error::UnexpectedResponse(response)),
                    }
                }
            }
        }
    }

    fn tokens(file: &syn::File) -> String {
        quote!(#file).to_string()
    }

    #[test]
    fn a_json_answer_is_decoded_by_exec_json() {
        let mut file = send("201u16 => ResponseValue::from_response(response).await,");
        json_answers(&mut file).unwrap();
        let text = tokens(&file);
        assert!(text.contains("client . exec_json (request , & info , 201u16) . await"));
        assert!(!text.contains("client . exec (") && !text.contains("from_response"));
        assert!(text.contains("client . pre (& mut request , & info) . await ?"));
    }

    #[test]
    fn empty_and_streamed_answers_keep_exec() {
        for arm in [
            "204u16 => Ok(ResponseValue::empty(response)),",
            "200u16 => Ok(ResponseValue::stream(response)),",
        ] {
            let mut file = send(arm);
            let before = tokens(&file);
            json_answers(&mut file).unwrap();
            assert_eq!(tokens(&file), before);
        }
    }

    #[test]
    fn a_json_answer_in_another_shape_is_an_error() {
        let mut two = send(
            "200u16 => ResponseValue::from_response(response).await, \
             202u16 => ResponseValue::from_response(response).await,",
        );
        let e = json_answers(&mut two).unwrap_err();
        assert!(e.contains("other arms"), "{e}");

        let mut file = send("200u16 => ResponseValue::from_response(response).await,");
        let syn::Item::Impl(item) = &mut file.items[0] else {
            unreachable!()
        };
        let syn::ImplItem::Fn(f) = &mut item.items[0] else {
            unreachable!()
        };
        f.block.stmts.remove(3); // no `post`
        let e = json_answers(&mut file).unwrap_err();
        assert!(e.contains("statements before the match"), "{e}");
    }
}
