//! Requests: method, URL, query, headers and body.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Ctx, all};
use crate::error::Pos;
use crate::plan::{Body, Header, Request};
use crate::raw::step::{Body as RawBody, BodyMap};
use crate::yaml::{ScalarOr, Spanned};

/// The parts of a request as the raw types hold them.
pub(crate) struct Parts<'a> {
    pub(crate) name: &'a Spanned<String>,
    pub(crate) method: Option<&'a Spanned<String>>,
    pub(crate) url: &'a Spanned<String>,
    pub(crate) query: &'a BTreeMap<String, Spanned<String>>,
    pub(crate) headers: &'a BTreeMap<String, Spanned<String>>,
    pub(crate) body: Option<&'a Spanned<RawBody>>,
}

pub(crate) fn request(ctx: &mut Ctx<'_>, parts: &Parts<'_>) -> Option<Request> {
    let name = request_name(ctx, parts.name);
    let method = method(ctx, parts.method);
    let url = url(ctx, parts.url);
    let query = all(parts.query, |(k, v)| {
        ctx.template(v).map(|t| (k.clone(), t))
    });
    let headers = headers(ctx, parts.headers);
    let body = super::optional(parts.body.map(|b| body(ctx, b)));
    Some(Request {
        name: name?,
        method: method?,
        url: url?,
        query: query?,
        headers: headers?,
        body: body?,
    })
}

/// A name timings are recorded under: not empty, and remembered for assertions.
pub(crate) fn request_name(ctx: &mut Ctx<'_>, name: &Spanned<String>) -> Option<String> {
    if name.value.trim().is_empty() {
        return ctx.error(name.at, "a name cannot be empty");
    }
    ctx.scope.requests.insert(name.value.clone());
    Some(name.value.clone())
}

/// Where relative file names point.
const FILES: &str = "relative file names are relative to the scenario file";

fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

fn method(ctx: &mut Ctx<'_>, method: Option<&Spanned<String>>) -> Option<String> {
    let Some(method) = method else {
        return Some("GET".to_owned());
    };
    if !is_token(&method.value) {
        return ctx.error_hint(
            method.at,
            format!("invalid HTTP method `{}`", method.value),
            "such as GET, POST, PUT, DELETE",
        );
    }
    Some(method.value.to_ascii_uppercase())
}

fn url(ctx: &mut Ctx<'_>, url: &Spanned<String>) -> Option<crate::expr::Template> {
    let template = ctx.template(url)?;
    let Some(text) = template.as_literal() else {
        return Some(template);
    };
    let absolute = text.starts_with("http://") || text.starts_with("https://");
    if absolute {
        if let Err(err) = url::Url::parse(text) {
            return ctx.error_hint(
                url.at,
                format!("invalid URL `{text}`: {err}"),
                "such as http://127.0.0.1:8080/stream",
            );
        }
    } else if !text.starts_with('/') {
        return ctx.error_hint(
            url.at,
            format!("URL `{text}` is neither absolute nor a path"),
            "start it with `/` (relative to the target) or `http(s)://`",
        );
    }
    Some(template)
}

pub(crate) fn headers(
    ctx: &mut Ctx<'_>,
    headers: &BTreeMap<String, Spanned<String>>,
) -> Option<Vec<Header>> {
    all(headers, |(name, value)| {
        if !is_token(name) {
            return ctx.error_hint(
                value.at,
                format!("invalid header name `{name}`"),
                "letters, digits and `-`, such as `X-Request-Id`",
            );
        }
        let value = ctx.template(value)?;
        Some(Header {
            name: name.to_ascii_lowercase(),
            value,
        })
    })
}

fn body(ctx: &mut Ctx<'_>, body: &Spanned<RawBody>) -> Option<Body> {
    let at = body.at;
    match &body.value {
        ScalarOr::Scalar(text) => ctx.template_at(text, at).map(Body::Text),
        ScalarOr::Map(map) => body_map(ctx, map, at),
    }
}

fn body_map(ctx: &mut Ctx<'_>, map: &BodyMap, at: Option<Pos>) -> Option<Body> {
    match map {
        BodyMap {
            text: Some(text),
            file: None,
            template: None,
            json: None,
        } => ctx.template_at(text, at).map(Body::Text),
        BodyMap {
            text: None,
            file: Some(file),
            template: None,
            json: None,
        } => {
            let path = ctx.path(file);
            match std::fs::read(&path) {
                Ok(bytes) => Some(Body::File {
                    path,
                    bytes: Arc::from(bytes),
                }),
                Err(err) => ctx.error_hint(
                    at,
                    format!("cannot read body file `{}`: {err}", path.display()),
                    FILES,
                ),
            }
        }
        BodyMap {
            text: None,
            file: None,
            template: Some(file),
            json: None,
        } => {
            let path = ctx.path(file);
            match std::fs::read_to_string(&path) {
                Ok(text) => ctx.template_at(&text, at).map(Body::Text),
                Err(err) => ctx.error_hint(
                    at,
                    format!("cannot read body template `{}`: {err}", path.display()),
                    FILES,
                ),
            }
        }
        BodyMap {
            text: None,
            file: None,
            template: None,
            json: Some(json),
        } => ctx.template_at(&json.to_string(), at).map(Body::Json),
        _ => ctx.error_hint(
            at,
            "a body needs exactly one of `text`, `file`, `template` and `json`",
            "for example `body: {json: {prompt: \"hello\"}}`",
        ),
    }
}
