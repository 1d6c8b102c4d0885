//! Criteria and message checks, as Gatling writes them:
//! `json_path("$.price").gt(0.0).save_as("price")`.

use super::{checked, spanned, text};
use crate::raw::check::{self as rc, Field};
use crate::yaml::OneOrMany;

/// One criterion: an extractor, then options and at most one validator.
///
/// ```
/// use std::time::Duration;
/// use sseload_scenario::builder::*;
/// use sseload_scenario::{Extractor, Find, Step, Validator};
///
/// let plan = plan("checks")
///     .embedded()
///     .scenario(scenario("s").load(at_once_users(1)).step(
///         sse("prices").get("/stocks/prices").await_checks(
///             Duration::from_secs(5),
///             [check_message("three symbols")
///                 .matching(event().is("snapshot"))
///                 .check(json_path("$[*].symbol").count().gte(3.0))],
///         ),
///     ))
///     .build()?;
/// let Step::SseConnect(connect) = &plan.scenarios[0].steps[0] else { unreachable!() };
/// let criterion = &connect.sequences[0].checks[0].check[0];
/// assert!(matches!(criterion.extractor, Extractor::JsonPath { .. }));
/// assert_eq!(criterion.find, Find::Count);
/// assert!(matches!(criterion.validator, Validator::Range { .. }));
/// # Ok::<(), sseload_scenario::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Criterion(pub(super) rc::Criterion);

fn field(field: Field) -> Criterion {
    Criterion(rc::Criterion {
        field: Some(spanned(field)),
        ..rc::Criterion::default()
    })
}

/// The event type.
pub fn event() -> Criterion {
    field(Field::Event)
}

/// The event id.
pub fn id() -> Criterion {
    field(Field::Id)
}

/// The event data.
pub fn data() -> Criterion {
    field(Field::Data)
}

/// The event's retry value.
pub fn retry() -> Criterion {
    field(Field::Retry)
}

/// The event as Gatling's JSON object.
pub fn event_json() -> Criterion {
    field(Field::Json)
}

/// The HTTP status.
pub fn status() -> Criterion {
    field(Field::Status)
}

/// The HTTP body.
pub fn body() -> Criterion {
    field(Field::Body)
}

/// An HTTP response header.
pub fn header(name: impl Into<String>) -> Criterion {
    Criterion(rc::Criterion {
        header: Some(text(name)),
        ..rc::Criterion::default()
    })
}

/// An RFC 9535 JSON Path on the data (or body).
pub fn json_path(path: impl Into<String>) -> Criterion {
    Criterion(rc::Criterion {
        json_path: Some(text(path)),
        ..rc::Criterion::default()
    })
}

/// A JMESPath expression on the data (or body).
pub fn jmes_path(path: impl Into<String>) -> Criterion {
    Criterion(rc::Criterion {
        jmes_path: Some(text(path)),
        ..rc::Criterion::default()
    })
}

/// The matches of a regular expression.
pub fn regex(pattern: impl Into<String>) -> Criterion {
    Criterion(rc::Criterion {
        regex: Some(text(pattern)),
        ..rc::Criterion::default()
    })
}

/// The offsets of a text.
pub fn substring(needle: impl Into<String>) -> Criterion {
    Criterion(rc::Criterion {
        substring: Some(text(needle)),
        ..rc::Criterion::default()
    })
}

impl Criterion {
    /// Queries the event as Gatling's JSON object instead of its data.
    pub fn on_json(mut self) -> Self {
        self.0.on = Some(spanned(Field::Json));
        self
    }

    /// Takes this regex capture group.
    pub fn group(mut self, group: i64) -> Self {
        self.0.group = Some(spanned(group));
        self
    }

    fn find(mut self, find: rc::Find) -> Self {
        self.0.find = Some(spanned(find));
        self
    }

    /// Takes every found value, as a list.
    pub fn find_all(self) -> Self {
        self.find(rc::Find::All)
    }

    /// Takes how many values were found.
    pub fn count(self) -> Self {
        self.find(rc::Find::Count)
    }

    /// Takes one found value at random.
    pub fn find_random(self) -> Self {
        self.find(rc::Find::Random)
    }

    /// Takes the n-th found value, from 0.
    pub fn nth(mut self, n: i64) -> Self {
        self.0.nth = Some(spanned(n));
        self
    }

    fn transform(mut self, transform: rc::Transform) -> Self {
        self.0.transform = Some(spanned(transform));
        self
    }

    /// Converts to a number.
    pub fn as_number(self) -> Self {
        self.transform(rc::Transform::Number)
    }

    /// Converts to text.
    pub fn as_text(self) -> Self {
        self.transform(rc::Transform::String)
    }

    /// Takes the length.
    pub fn length(self) -> Self {
        self.transform(rc::Transform::Length)
    }

    /// Equal to `value` (text is a template).
    pub fn is(mut self, value: impl Into<serde_json::Value>) -> Self {
        self.0.is = Some(spanned(value.into()));
        self
    }

    /// Different from `value`.
    pub fn not(mut self, value: impl Into<serde_json::Value>) -> Self {
        self.0.not = Some(spanned(value.into()));
        self
    }

    /// Equal to one of `values`.
    pub fn one_of(
        mut self,
        values: impl IntoIterator<Item = impl Into<serde_json::Value>>,
    ) -> Self {
        self.0.one_of = Some(spanned(values.into_iter().map(Into::into).collect()));
        self
    }

    /// Something is found (the default).
    pub fn exists(mut self) -> Self {
        self.0.exists = Some(spanned(true));
        self
    }

    /// Nothing is found.
    pub fn not_exists(mut self) -> Self {
        self.0.not_exists = Some(spanned(true));
        self
    }

    /// A number below `x`.
    pub fn lt(mut self, x: f64) -> Self {
        self.0.lt = Some(spanned(x));
        self
    }

    /// A number at most `x`.
    pub fn lte(mut self, x: f64) -> Self {
        self.0.lte = Some(spanned(x));
        self
    }

    /// A number above `x`.
    pub fn gt(mut self, x: f64) -> Self {
        self.0.gt = Some(spanned(x));
        self
    }

    /// A number at least `x`.
    pub fn gte(mut self, x: f64) -> Self {
        self.0.gte = Some(spanned(x));
        self
    }

    /// Text matching a regular expression.
    pub fn matches(mut self, pattern: impl Into<String>) -> Self {
        self.0.matches = Some(text(pattern));
        self
    }

    /// Saves the value in the session.
    pub fn save_as(mut self, name: impl Into<String>) -> Self {
        self.0.save_as = Some(text(name));
        self
    }

    /// Finding nothing is not a failure.
    pub fn optional(mut self) -> Self {
        self.0.optional = true;
        self
    }
}

/// Criteria as the raw types hold them.
pub(super) fn criteria(items: Vec<Criterion>) -> rc::Criteria {
    OneOrMany(items.into_iter().map(|c| checked(c.0)).collect())
}

/// Starts a named check on one incoming event.
pub fn check_message(name: impl Into<String>) -> MessageCheck {
    MessageCheck {
        name: name.into(),
        matching: Vec::new(),
        check: Vec::new(),
        optional: false,
    }
}

/// A named check on one event.
#[derive(Debug, Clone)]
pub struct MessageCheck {
    name: String,
    matching: Vec<Criterion>,
    check: Vec<Criterion>,
    optional: bool,
}

impl MessageCheck {
    /// Only events passing this count (all of them, when called again).
    pub fn matching(mut self, criterion: Criterion) -> Self {
        self.matching.push(criterion);
        self
    }

    /// What must hold for the matched event.
    pub fn check(mut self, criterion: Criterion) -> Self {
        self.check.push(criterion);
        self
    }

    /// A timeout on this check is not a failure.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    pub(super) fn into_raw(self) -> rc::MessageCheck {
        rc::MessageCheck {
            name: text(self.name),
            matching: criteria(self.matching),
            check: criteria(self.check),
            optional: self.optional,
        }
    }
}
