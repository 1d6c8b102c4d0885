//! Running checks: a [`Criterion`] extracts values from an event or a
//! response, picks, transforms and validates one, and says what to save.
//! The engine calls these; they are the same for SSE events and HTTP
//! responses.
//!
//! Semantics follow Gatling's: a criterion with nothing found fails unless it
//! is optional or expects nothing; every criterion of a check runs, the ones
//! that pass save their value even when another fails, and the first failure
//! is the check's message.

use std::cell::OnceCell;
use std::time::SystemTime;

use serde_json::Value;

use crate::expr::{Lookup, VarId};
use crate::plan::{Criterion, JsonPath, MessageCheck, Source};

mod extract;
mod scan;
mod singular;
mod validate;
mod walk;

pub use extract::render_event_json;
pub(crate) use singular::SingularPath;

use extract::Found;

/// The value at `path` in the JSON `text`; `Err` when `text` is not JSON.
/// The quick scan answers for the texts it vouches for; serde_json reads
/// the others (and gives the error).
pub(crate) fn find(path: &SingularPath, text: &str) -> Result<Option<Value>, serde_json::Error> {
    match scan::locate(path.steps(), text) {
        Some(scan::Located::Nowhere) => Ok(None),
        Some(scan::Located::At(span)) => {
            let token = &text[span];
            match scan::plain_value(token).map_or_else(|| serde_json::from_str(token), Ok) {
                Ok(value) => Ok(Some(value)),
                Err(_) => walk::find(path.steps(), text),
            }
        }
        None => walk::find(path.steps(), text),
    }
}

/// Whether `text` is JSON whose top level is an object or an array.
fn is_container(text: &str) -> bool {
    match scan::locate(&[], text) {
        Some(_) => text
            .trim_start_matches([' ', '\t', '\n', '\r'])
            .starts_with(['{', '[']),
        None => walk::is_container(text),
    }
}

/// How a text that is not JSON fails a query.
#[expect(clippy::needless_pass_by_value, reason = "used as `map_err(not_json)`")]
fn not_json(e: serde_json::Error) -> String {
    format!("not JSON ({e})")
}

/// An SSE event as checks see it.
#[derive(Debug, Clone, Copy)]
pub struct EventView<'a> {
    /// The event type (`message` when the stream names none).
    pub event_type: &'a str,
    /// The event id, if the stream gave one.
    pub id: Option<&'a str>,
    /// The data.
    pub data: &'a str,
    /// The retry value in milliseconds, if the event carried one.
    pub retry: Option<u64>,
}

/// An HTTP response as checks see it.
#[derive(Debug, Clone, Copy)]
pub struct ResponseView<'a> {
    /// The status code.
    pub status: u16,
    /// The headers, names in any case.
    pub headers: &'a [(String, String)],
    /// The body.
    pub body: &'a [u8],
}

/// What a check looks at, with its JSON forms parsed at most once.
#[derive(Debug)]
pub struct Subject<'a> {
    kind: Kind<'a>,
    data_json: OnceCell<Result<Value, String>>,
    event_json: OnceCell<String>,
}

#[derive(Debug, Clone, Copy)]
enum Kind<'a> {
    Event(EventView<'a>),
    Response(ResponseView<'a>),
}

impl<'a> Subject<'a> {
    /// An SSE event.
    pub fn event(event: EventView<'a>) -> Self {
        Self {
            kind: Kind::Event(event),
            data_json: OnceCell::new(),
            event_json: OnceCell::new(),
        }
    }

    /// An HTTP response.
    pub fn response(response: ResponseView<'a>) -> Self {
        Self {
            kind: Kind::Response(response),
            data_json: OnceCell::new(),
            event_json: OnceCell::new(),
        }
    }

    /// The text a query reads.
    fn text(&self, source: Source) -> std::borrow::Cow<'_, str> {
        match (self.kind, source) {
            (Kind::Event(e), Source::Data) => e.data.into(),
            (Kind::Event(e), Source::Json) => self
                .event_json
                .get_or_init(|| render_event_json(&e))
                .as_str()
                .into(),
            (Kind::Response(r), _) => String::from_utf8_lossy(r.body),
        }
    }

    /// The text a query reads, parsed as JSON.
    fn json(&self, source: Source) -> Result<std::borrow::Cow<'_, Value>, String> {
        let parse = |text: &str| serde_json::from_str::<Value>(text).map_err(not_json);
        match source {
            Source::Data => self
                .data_json
                .get_or_init(|| parse(&self.text(Source::Data)))
                .as_ref()
                .map(std::borrow::Cow::Borrowed)
                .map_err(Clone::clone),
            Source::Json => parse(&self.text(Source::Json)).map(std::borrow::Cow::Owned),
        }
    }

    /// The values `path` selects in the text a query reads, parsed as JSON.
    fn query(&self, path: &JsonPath, source: Source) -> Result<Found, String> {
        if let Some(singular) = path.singular() {
            return self.find(singular, source).map(Found::One);
        }
        let json = self.json(source)?;
        let found = path.get().query(&json).all().into_iter().cloned();
        Ok(Found::Many(found.collect()))
    }

    /// The value at a singular path in the text a query reads: read from
    /// the text, unless it was parsed already.
    fn find(&self, singular: &SingularPath, source: Source) -> Result<Option<Value>, String> {
        match (source, self.data_json.get()) {
            (Source::Data, Some(parsed)) => parsed
                .as_ref()
                .map(|json| singular.lookup(json).cloned())
                .map_err(Clone::clone),
            _ => find(singular, &self.text(source)).map_err(not_json),
        }
    }
}

/// What a check needs besides its subject: the session (for expected
/// values), and the RNG and time (for `find: random` and templates).
pub struct Env<'e> {
    /// Session values.
    pub vars: &'e dyn Lookup,
    /// Randomness.
    pub rng: &'e mut dyn rand::RngCore,
    /// The current time.
    pub now: SystemTime,
}

impl std::fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// The result of one criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// `Err` holds the failure message.
    pub result: Result<(), String>,
    /// A value to save in the session.
    pub save: Option<(VarId, Value)>,
}

impl Criterion {
    /// Runs the criterion on `subject`.
    pub fn evaluate(&self, subject: &Subject<'_>, env: &mut Env<'_>) -> Outcome {
        let found = extract::extract(&self.extractor, subject)
            .map(|values| extract::pick(values, self.find, env.rng))
            .and_then(|picked| extract::transform(picked, self.transform));
        let found = match found {
            Ok(found) => found,
            Err(message) => {
                return Outcome {
                    result: Err(message),
                    save: None,
                };
            }
        };
        let result = validate::validate(found.as_ref(), &self.validator, self.optional, env);
        let result = result.map_err(|why| format!("{}: {why}", extract::describe(&self.extractor)));
        let save = match (&result, self.save_as, found) {
            (Ok(()), Some(var), Some(value)) => Some((var, value)),
            _ => None,
        };
        Outcome { result, save }
    }
}

/// Runs `criteria` in order; all of them run, the first failure is kept.
pub fn run_all(criteria: &[Criterion], subject: &Subject<'_>, env: &mut Env<'_>) -> Verdict {
    let mut first_failure = None;
    let mut saves = Vec::new();
    for criterion in criteria {
        let outcome = criterion.evaluate(subject, env);
        saves.extend(outcome.save);
        if let (Err(message), None) = (outcome.result, &first_failure) {
            first_failure = Some(message);
        }
    }
    Verdict {
        result: first_failure.map_or(Ok(()), Err),
        saves,
    }
}

/// The result of several criteria.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// `Err` holds the first failure.
    pub result: Result<(), String>,
    /// Values to save, from the criteria that passed.
    pub saves: Vec<(VarId, Value)>,
}

impl MessageCheck {
    /// Whether `subject` is the event this check waits for (all `matching` criteria pass).
    pub fn matches(&self, subject: &Subject<'_>, env: &mut Env<'_>) -> bool {
        self.matching
            .iter()
            .all(|c| c.evaluate(subject, env).result.is_ok())
    }

    /// Validates the matched event.
    pub fn check(&self, subject: &Subject<'_>, env: &mut Env<'_>) -> Verdict {
        run_all(&self.check, subject, env)
    }
}
