//! The function's signature: which parameter is the context, which the
//! input, and what the output type is.

use fastagentic_macro_support::ErrorStore;
use syn::{FnArg, GenericArgument, Ident, Pat, PathArguments, ReturnType, Type};

use super::attr::EndpointAttr;
use crate::item_fn::ItemFn;

/// A parameter the glue passes.
pub(crate) enum Param {
    Context,
    Input,
}

/// The validated signature.
pub(crate) struct EndpointSignature {
    pub params: Vec<Param>,
    pub input: Option<Type>,
    pub output: Type,
    pub error: Type,
    pub input_ident: Option<Ident>,
    pub context_ident: Option<Ident>,
}

fn last_segment_is(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == name),
        _ => false,
    }
}

/// `Result<T, E>` -> (T, E).
fn result_types(ty: &Type) -> Option<(Type, Type)> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    });
    let ok = types.next()?;
    let err = types.next()?;
    Some((ok, err))
}

fn binding(pat: &Pat) -> Option<Ident> {
    match pat {
        Pat::Ident(p) => Some(p.ident.clone()),
        _ => None,
    }
}

impl EndpointSignature {
    pub(crate) fn read(
        function: &ItemFn,
        attr: &Option<EndpointAttr>,
        errors: &mut ErrorStore,
    ) -> Option<Self> {
        function.check_plain_async("an endpoint", errors);
        let sig = &function.sig;
        let mut params = Vec::new();
        let (mut input, mut input_ident, mut context_ident) = (None, None, None);
        for arg in &sig.inputs {
            let FnArg::Typed(typed) = arg else { continue };
            let ty = &*typed.ty;
            if let Type::Reference(r) = ty
                && last_segment_is(&r.elem, "AgentContext")
            {
                errors.at(ty, "take the context by value: `ctx: AgentContext`");
                continue;
            }
            if last_segment_is(ty, "AgentContext") {
                if context_ident.is_some() {
                    errors.at(
                        typed,
                        "an endpoint takes one `AgentContext`; remove this one",
                    );
                }
                context_ident = binding(&typed.pat)
                    .or_else(|| Some(Ident::new("ctx", proc_macro2::Span::call_site())));
                params.push(Param::Context);
            } else if input.is_some() {
                errors.at(
                    typed,
                    "an endpoint takes at most `ctx: AgentContext` and one input; put this parameter's data into the input type",
                );
            } else {
                input = Some(ty.clone());
                input_ident = binding(&typed.pat);
                params.push(Param::Input);
            }
        }
        let stream = attr.as_ref().is_some_and(|a| a.stream);
        let expected = if stream {
            "`Result<ChatStream, AgentError>` (or `Result<AgentStream, AgentError>`)"
        } else {
            "`Result<Output, AgentError>`"
        };
        let (output, error) = match &sig.output {
            ReturnType::Default => {
                errors.at(&sig.ident, format!("an endpoint must return {expected}"));
                return None;
            }
            ReturnType::Type(_, ty) => match result_types(ty) {
                Some(types) => types,
                None => {
                    errors.at(
                        ty,
                        format!(
                            "an endpoint must return {expected}, not `{}`",
                            quote::quote!(#ty)
                        ),
                    );
                    return None;
                }
            },
        };
        if let Some(attr) = attr {
            if attr.runnable.is_some() {
                if let Some(body) = function.body.as_ref().filter(|b| !b.stmts.is_empty()) {
                    errors.at(body, "with `runnable = ...` the runnable does the work: give the function no body (end it with `;`)");
                }
                if context_ident.is_none() || input.is_none() {
                    errors.at(&sig.ident, "with `runnable = ...` the function takes `ctx: AgentContext` and the input, as `Runnable::run` does");
                }
                if stream {
                    errors.at(&sig.ident, "`runnable` and `stream = true` cannot be combined: a runnable answers with one output");
                }
            } else if function.body.is_none() {
                errors.at(
                    &sig.ident,
                    "this endpoint has no body: write one, or delegate with `runnable = <agent>`",
                );
            }
        }
        Some(Self {
            params,
            input,
            output,
            error,
            input_ident,
            context_ident,
        })
    }
}
