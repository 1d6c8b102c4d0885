//! Secrets: what must never leave a run in clear, and the one [`Redactor`]
//! that masks it wherever text leaves the engine (recorded errors, the
//! results file, reports, `sseload listen` and `sseload validate`).
//!
//! A [`Redactor`] does two things:
//!
//! - it replaces every occurrence of the known secret values with
//!   [`MASK`]: the values of credential headers ([`is_credential_header`]),
//!   of credential query parameters ([`is_credential_param`]) and URL user
//!   information written in the plan, every value of a feeder column marked
//!   `secret`, and every value of a variable that a credential header or
//!   parameter reads (feeder columns, declared `vars` and their `--set`
//!   overrides). [`Secrets`] collects them; [`Secrets::of_plan`] reads a plan;
//! - it masks credentials by their shape, known or not: the user
//!   information of any URL (`https://***@host/`), the value of any
//!   credential query parameter (`?token=***`), and the value after a
//!   credential header name (`authorization: ***`) or an HTTP auth scheme
//!   (`Bearer ***`).
//!
//! Values shorter than [`MIN_SECRET_LEN`] characters are not masked as
//! values (they would mask every digit of every message); their shape still
//! is.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::{Captures, Regex};
use serde_json::Value;

use crate::expr::{Part, Template, VarId};
use crate::plan::{Header, Plan, Request, Step, Target};

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Secret values shorter than this are masked only by their shape.
pub const MIN_SECRET_LEN: usize = 4;

/// Header names that carry credentials, lower case.
const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "apikey",
    "x-auth-token",
    "x-access-token",
    "x-csrf-token",
    "x-xsrf-token",
    "x-amz-security-token",
    "x-goog-api-key",
    "private-token",
    "ocp-apim-subscription-key",
];

/// Endings of header names that carry credentials (`x-my-token`, `x-app-secret`).
const CREDENTIAL_HEADER_ENDINGS: &[&str] = &["-token", "-secret", "-key", "-password", "-auth"];

/// Query parameter names that carry credentials, lower case.
const CREDENTIAL_PARAMS: &[&str] = &[
    "key",
    "sig",
    "auth",
    "pass",
    "pwd",
    "jwt",
    "code",
    "session",
    "sessionid",
];

/// Endings of query parameter names that carry credentials
/// (`access_token`, `client_secret`, `X-Amz-Signature`).
const CREDENTIAL_PARAM_ENDINGS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "signature",
    "credential",
    "apikey",
    "api_key",
    "api-key",
];

/// Whether a header of this name carries credentials (any case).
pub fn is_credential_header(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    CREDENTIAL_HEADERS.contains(&name.as_str())
        || CREDENTIAL_HEADER_ENDINGS.iter().any(|e| name.ends_with(e))
}

/// Whether a query parameter of this name carries credentials (any case).
pub fn is_credential_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    CREDENTIAL_PARAMS.contains(&name.as_str())
        || CREDENTIAL_PARAM_ENDINGS.iter().any(|e| name.ends_with(e))
}

/// A URL as it may be shown: user information and credential query
/// parameters masked (`https://***@host/feed?topic=a&token=***`).
pub fn redact_url(url: &url::Url) -> String {
    Redactor::default().redact(url.as_str()).into_owned()
}

/// The secret values of a run, collected before the [`Redactor`] is built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    values: BTreeSet<String>,
}

impl Secrets {
    /// No secret values yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every secret a plan holds: credential headers, URL credentials,
    /// feeder columns marked `secret`, and the feeder values and declared
    /// defaults of every variable a credential header or parameter reads.
    pub fn of_plan(plan: &Plan) -> Self {
        let mut secrets = Self::new();
        if let Target::BaseUrls(urls) = &plan.target {
            urls.iter().for_each(|url| secrets.url(url.as_str()));
        }
        secrets.headers(&plan.http.headers);
        each_request(plan.scenarios.iter().flat_map(|s| &s.steps), &mut |r| {
            secrets.request(r);
        });
        let vars = plan.secret_vars();
        for feeder in &plan.feeders {
            for (column, var) in feeder.columns.iter().enumerate() {
                if vars.contains(var) {
                    feeder.records.iter().for_each(|r| secrets.json(&r[column]));
                }
            }
        }
        secrets.vars(plan, &plan.declared);
        secrets
    }

    /// Adds the values of `given` that belong to the plan's secret
    /// variables (the declared defaults, or `--set` overrides).
    pub fn vars(&mut self, plan: &Plan, given: &[(VarId, Value)]) {
        let vars = plan.secret_vars();
        for (var, value) in given {
            if vars.contains(var) {
                self.json(value);
            }
        }
    }

    /// Adds one secret value (ignored when shorter than [`MIN_SECRET_LEN`]),
    /// with the forms it takes inside a URL and inside a JSON string.
    pub fn value(&mut self, text: &str) {
        let text = text.trim();
        if text.chars().count() < MIN_SECRET_LEN {
            return;
        }
        let encoded: String = url::form_urlencoded::byte_serialize(text.as_bytes()).collect();
        let escaped = serde_json::to_string(text).unwrap_or_default();
        let escaped = escaped.trim_matches('"');
        for form in [text, &encoded, &encoded.replace('+', "%20"), escaped] {
            if !form.is_empty() {
                self.values.insert(form.to_owned());
            }
        }
    }

    /// Adds every scalar of a JSON value, as text.
    pub fn json(&mut self, value: &Value) {
        match value {
            Value::String(text) => self.value(text),
            Value::Number(n) => self.value(&n.to_string()),
            Value::Array(items) => items.iter().for_each(|v| self.json(v)),
            Value::Object(map) => map.values().for_each(|v| self.json(v)),
            Value::Bool(_) | Value::Null => {}
        }
    }

    /// Adds a header's value when its name carries credentials: the whole
    /// value, what follows an auth scheme (`Bearer`), and each cookie value.
    pub fn header(&mut self, name: &str, value: &str) {
        if !is_credential_header(name) {
            return;
        }
        self.value(value);
        if let Some((_scheme, rest)) = value.trim().split_once(' ') {
            self.value(rest);
        }
        for cookie in value.split(';') {
            if let Some((_name, cookie)) = cookie.split_once('=') {
                self.value(cookie);
            }
        }
    }

    /// Adds a URL's user information and credential query parameter values.
    pub fn url(&mut self, text: &str) {
        let Ok(url) = url::Url::parse(text) else {
            return;
        };
        self.value(&percent_decoded(url.username()));
        self.value(url.username());
        if let Some(password) = url.password() {
            self.value(password);
            self.value(&percent_decoded(password));
        }
        for (name, value) in url.query_pairs() {
            if is_credential_param(&name) {
                self.value(&value);
            }
        }
    }

    /// The credential parameter values written as text in a URL template.
    fn params(&mut self, text: &str) {
        for c in PARAM.captures_iter(text) {
            if is_credential_param(&c[2]) && !c[3].contains('\0') {
                self.value(&c[3]);
            }
        }
    }

    fn headers(&mut self, headers: &[Header]) {
        for header in headers {
            if let Some(value) = header.value.as_literal() {
                self.header(&header.name, value);
            }
        }
    }

    fn request(&mut self, request: &Request) {
        match request.url.as_literal() {
            Some(url) => self.url(url),
            None => self.params(&literal_text(request.url.parts())),
        }
        for (name, value) in &request.query {
            if let Some(value) = value.as_literal().filter(|_| is_credential_param(name)) {
                self.value(value);
            }
        }
        self.headers(&request.headers);
    }

    /// The redactor that masks these values (and every credential by its shape).
    pub fn redactor(&self) -> Redactor {
        let values: Vec<&String> = self.values.iter().collect();
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(values)
            .ok()
            .filter(|_| !self.values.is_empty());
        Redactor { matcher }
    }
}

fn percent_decoded(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map_or_else(|| text.to_owned(), |(_, v)| v.into_owned())
}

/// Calls `f` on the request of every step, nested ones included.
fn each_request<'p>(steps: impl IntoIterator<Item = &'p Step>, f: &mut impl FnMut(&'p Request)) {
    for step in steps {
        match step {
            Step::Http { request, .. } => f(request),
            Step::SseConnect(connect) => f(&connect.request),
            _ => {}
        }
        for children in step.children() {
            each_request(children, f);
        }
    }
}

impl Plan {
    /// The session variables whose values are secret: the columns of
    /// feeders marked `secret`, and every variable read by a credential
    /// header, a credential query parameter or the user information of a URL.
    pub fn secret_vars(&self) -> BTreeSet<VarId> {
        let mut vars: BTreeSet<VarId> = self
            .feeders
            .iter()
            .flat_map(|f| f.secret.iter().copied())
            .collect();
        header_vars(&self.http.headers, &mut vars);
        each_request(self.scenarios.iter().flat_map(|s| &s.steps), &mut |r| {
            request_vars(r, &mut vars);
        });
        vars
    }

    /// Whether TLS certificates go unverified (`http.tls.accept_invalid_certs`):
    /// the run must say so loudly.
    pub fn tls_insecure(&self) -> bool {
        self.http.tls.accept_invalid_certs
    }

    /// The warning a run prints on stderr, every time, when certificates go
    /// unverified; it names the targets (credentials masked).
    pub fn tls_warning(&self) -> Option<String> {
        let targets = match &self.target {
            Target::Embedded => "the embedded server".to_owned(),
            Target::BaseUrls(urls) => urls.iter().map(redact_url).collect::<Vec<_>>().join(", "),
        };
        self.tls_insecure().then(|| {
            format!(
                "warning: TLS certificates are NOT verified for {targets} (http.tls.accept_invalid_certs): anyone on the path can read and change this run's traffic"
            )
        })
    }

    /// The redactor of this plan, before any `--set` override.
    pub fn redactor(&self) -> Redactor {
        Secrets::of_plan(self).redactor()
    }
}

fn header_vars(headers: &[Header], vars: &mut BTreeSet<VarId>) {
    for header in headers.iter().filter(|h| is_credential_header(&h.name)) {
        vars.extend(header.value.vars().map(|v| v.var));
    }
}

fn request_vars(request: &Request, vars: &mut BTreeSet<VarId>) {
    header_vars(&request.headers, vars);
    url_vars(&request.url, vars);
    for (_, value) in request.query.iter().filter(|(n, _)| is_credential_param(n)) {
        vars.extend(value.vars().map(|v| v.var));
    }
}

/// Variables written right after `?name=` or `&name=` with a credential
/// name, or inside a URL's user information (`https://#{user}:#{pass}@host`).
fn url_vars(url: &Template, vars: &mut BTreeSet<VarId>) {
    let parts = url.parts();
    for (i, part) in parts.iter().enumerate() {
        let Part::Var(var) = part else { continue };
        let before = literal_text(&parts[..i]);
        let after = literal_text(&parts[i + 1..]);
        let param = PARAM_END
            .captures(&before)
            .is_some_and(|c| is_credential_param(&c[1]));
        let userinfo = AUTHORITY_START.is_match(&before)
            && after
                .split(['/', '?', '#'])
                .next()
                .is_some_and(|a| a.contains('@'));
        if param || userinfo {
            vars.insert(var.var);
        }
    }
}

/// The literal text of template parts, each other part standing as `\0`.
fn literal_text(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|part| match part {
            Part::Literal(text) => text.as_str(),
            _ => "\0",
        })
        .collect()
}

/// A template's text so far ends in `?name=` (or `&`, `;`).
static PARAM_END: LazyLock<Regex> = LazyLock::new(|| pattern(r"[?&;]([A-Za-z0-9_.\-]+)=$"));
/// A template's text so far is inside a URL's authority.
static AUTHORITY_START: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*$"));

/// Masks secrets in text: the known values, then credentials by their shape.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    matcher: Option<AhoCorasick>,
}

impl Redactor {
    /// A redactor that masks credentials by their shape only.
    pub fn new() -> Self {
        Self::default()
    }

    /// `text` with every secret masked; borrowed when nothing was.
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let text = match &self.matcher {
            Some(matcher) if matcher.is_match(text) => {
                let mut masked = String::with_capacity(text.len());
                matcher.replace_all_with(text, &mut masked, |_, _, out| {
                    out.push_str(MASK);
                    true
                });
                Cow::Owned(masked)
            }
            _ => Cow::Borrowed(text),
        };
        by_shape(text)
    }
}

fn by_shape(text: Cow<'_, str>) -> Cow<'_, str> {
    let text = replace(text, &USERINFO, |c| format!("{}{MASK}@", &c[1]));
    let text = replace(text, &PARAM, |c| {
        if is_credential_param(&c[2]) {
            format!("{}{}={MASK}", &c[1], &c[2])
        } else {
            c[0].to_owned()
        }
    });
    let text = replace(text, &HEADER, |c| format!("{}{}{MASK}", &c[1], &c[2]));
    replace(text, &SCHEME, |c| {
        if looks_like_credentials(&c[2]) {
            format!("{} {MASK}", &c[1])
        } else {
            c[0].to_owned()
        }
    })
}

/// Whether the word after `Bearer`, `Basic` or `Digest` in free text is
/// credentials rather than prose (`bearer token`, `basic smoke test`):
/// credentials hold a digit or a symbol, or are long.
fn looks_like_credentials(word: &str) -> bool {
    word.len() >= 16 || word.chars().any(|c| !c.is_ascii_alphabetic())
}

/// `scheme://user:password@`.
static USERINFO: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#@\s]+@"));
/// `?name=value`, `&name=value`.
static PARAM: LazyLock<Regex> =
    LazyLock::new(|| pattern(r#"([?&;])([A-Za-z0-9_.\-]+)=([^&#\s"'<>]+)"#));
/// `name: value` or `"name":"value"` of a credential header, to the end of
/// the line or the closing quote.
static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    let names = CREDENTIAL_HEADERS.join("|");
    let endings: Vec<&str> = CREDENTIAL_HEADER_ENDINGS.iter().map(|e| &e[1..]).collect();
    pattern(&format!(
        r#"(?i)\b({names}|[a-z0-9_\-]*-(?:{}))(["']?\s*:\s*["']?)([^"'\r\n]+)"#,
        endings.join("|")
    ))
});
/// `Bearer token`, `Basic credentials`.
static SCHEME: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?i)\b(bearer|basic|digest)\s+([A-Za-z0-9\-._~+/]{4,}=*)"));

fn pattern(text: &str) -> Regex {
    Regex::new(text).unwrap_or_else(|e| unreachable!("a fixed pattern compiles: {e}"))
}

fn replace<'t>(
    text: Cow<'t, str>,
    regex: &Regex,
    with: impl Fn(&Captures<'_>) -> String,
) -> Cow<'t, str> {
    if !regex.is_match(&text) {
        return text;
    }
    let replaced = regex
        .replace_all(&text, |c: &Captures<'_>| with(c))
        .into_owned();
    if replaced == *text {
        text
    } else {
        Cow::Owned(replaced)
    }
}
