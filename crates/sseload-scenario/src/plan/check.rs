//! Checks: compiled criteria on events and responses.

use std::time::Duration;

use crate::check::SingularPath;
use crate::expr::{Template, VarId};

/// A check sequence of an await: its checks run in order within `timeout`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequence {
    /// The time limit of the whole sequence.
    pub timeout: Duration,
    /// The checks, in order (never empty).
    pub checks: Vec<MessageCheck>,
}

/// A named check that consumes one matching event.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageCheck {
    /// The name its timing and outcome are recorded under.
    pub name: String,
    /// Filters: an event must pass all of them to be the one checked.
    pub matching: Vec<Criterion>,
    /// What must hold for the matched event.
    pub check: Vec<Criterion>,
    /// A timeout is not a failure.
    pub optional: bool,
}

/// One criterion: extract, pick, transform, validate, save.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    /// Where to look.
    pub extractor: Extractor,
    /// Which found values to take.
    pub find: Find,
    /// A conversion of what was taken.
    pub transform: Option<Transform>,
    /// What must hold.
    pub validator: Validator,
    /// Where to save what was taken.
    pub save_as: Option<VarId>,
    /// Finding nothing is not a failure.
    pub optional: bool,
}

/// Where a criterion looks.
#[derive(Debug, Clone, PartialEq)]
pub enum Extractor {
    /// A whole field.
    Field(Field),
    /// An HTTP response header (name in lower case).
    Header(String),
    /// An RFC 9535 JSON Path on the source parsed as JSON.
    JsonPath {
        /// The query.
        path: JsonPath,
        /// What it reads.
        on: Source,
    },
    /// A JMESPath expression on the source parsed as JSON.
    JmesPath {
        /// The expression.
        path: JmesPath,
        /// What it reads.
        on: Source,
    },
    /// The matches of a regular expression.
    Regex {
        /// The expression.
        regex: Regex,
        /// The capture group to take (0: the whole match).
        group: usize,
        /// What it reads.
        on: Source,
    },
    /// The offsets where a text occurs.
    Substring {
        /// The text.
        text: String,
        /// What it reads.
        on: Source,
    },
}

/// A whole part of an event or a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The event type.
    Event,
    /// The event id.
    Id,
    /// The event data.
    Data,
    /// The retry value in milliseconds.
    Retry,
    /// The event as one JSON object, as Gatling renders it.
    Json,
    /// The HTTP status.
    Status,
    /// The HTTP body.
    Body,
}

/// What a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The event data, or the response body.
    Data,
    /// The event rendered as Gatling's JSON object.
    Json,
}

/// Which found values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Find {
    /// The first.
    First,
    /// The n-th, from 0.
    Nth(usize),
    /// All, as a list.
    All,
    /// How many.
    Count,
    /// One at random.
    Random,
}

/// A conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// To a number.
    Number,
    /// To text.
    String,
    /// The length.
    Length,
}

/// What must hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Validator {
    /// Something was found.
    Exists,
    /// Nothing was found.
    NotExists,
    /// Equal to the value.
    Is(Expected),
    /// Different from the value.
    Not(Expected),
    /// Equal to one of the values.
    In(Vec<Expected>),
    /// A number within bounds.
    Range {
        /// The lower bound, if any.
        lower: Option<super::Bound>,
        /// The upper bound, if any.
        upper: Option<super::Bound>,
    },
    /// Text matching a regular expression.
    Matches(Regex),
}

/// An expected value.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// A JSON value (number, boolean, null, list, object).
    Json(serde_json::Value),
    /// Text, rendered from the session at check time.
    Text(Template),
}

/// A query compiled once, compared by its source text.
#[derive(Clone)]
pub struct Compiled<T> {
    source: String,
    compiled: T,
}

impl<T> Compiled<T> {
    pub(crate) fn new(source: &str, compiled: T) -> Self {
        Self {
            source: source.to_owned(),
            compiled,
        }
    }

    /// The text it was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The compiled query.
    pub fn get(&self) -> &T {
        &self.compiled
    }
}

impl<T> PartialEq for Compiled<T> {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl<T> std::fmt::Debug for Compiled<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.source)
    }
}

/// A compiled query (a JSON Path or a JMESPath expression), compared by its
/// source text, with its singular form when it has one: a chain of member
/// names and non-negative indexes is read straight from the text — the
/// document is checked to be JSON, as it is when parsed whole, but only the
/// value found is built. Other queries parse the whole document. Both give
/// the same results and the same errors.
#[derive(Clone)]
pub struct Query<T>(Box<QueryInner<T>>);

#[derive(Clone)]
struct QueryInner<T> {
    query: Compiled<T>,
    singular: Option<SingularPath>,
}

/// A compiled RFC 9535 JSON Path; singular ones are `$.a`, `$['a'].b[0]`,
/// `$.choices[0].delta.content`.
pub type JsonPath = Query<serde_json_path::JsonPath>;

/// A compiled JMESPath expression; singular ones are `a.b`, `choices[0].text`.
pub type JmesPath = Query<jmespath::Expression<'static>>;

impl<T: Clone> Query<T> {
    fn with(query: Compiled<T>, singular: Option<SingularPath>) -> Self {
        Self(Box::new(QueryInner { query, singular }))
    }

    /// The text it was compiled from.
    pub fn source(&self) -> &str {
        self.0.query.source()
    }

    /// The compiled query.
    pub fn get(&self) -> &T {
        self.0.query.get()
    }

    /// Whether the query selects at most one value by names and indexes and
    /// is read without parsing the whole document.
    pub fn is_singular(&self) -> bool {
        self.0.singular.is_some()
    }

    pub(crate) fn singular(&self) -> Option<&SingularPath> {
        self.0.singular.as_ref()
    }

    /// The same query without its singular form: it always parses the whole
    /// document. For benchmarks and tests that compare the two ways.
    #[doc(hidden)]
    #[must_use]
    pub fn without_fast_path(&self) -> Self {
        Self::with(self.0.query.clone(), None)
    }
}

impl JsonPath {
    pub(crate) fn new(source: &str, compiled: serde_json_path::JsonPath) -> Self {
        let singular = SingularPath::of(source, &compiled);
        Self::with(Compiled::new(source, compiled), singular)
    }

    /// The first value the path selects in the JSON `text` (what
    /// `self.get().query(&parsed).first()` gives), or `None`; `Err` when
    /// `text` is not JSON. Cheaper than parsing `text` for a singular path.
    pub fn find_first(&self, text: &str) -> Result<Option<serde_json::Value>, serde_json::Error> {
        if let Some(singular) = self.singular() {
            return crate::check::find(singular, text);
        }
        let parsed: serde_json::Value = serde_json::from_str(text)?;
        Ok(self.get().query(&parsed).first().cloned())
    }
}

impl JmesPath {
    pub(crate) fn new(source: &str, compiled: jmespath::Expression<'static>) -> Self {
        let singular = SingularPath::of_jmespath(compiled.as_ast());
        Self::with(Compiled::new(source, compiled), singular)
    }
}

impl<T> PartialEq for Query<T> {
    fn eq(&self, other: &Self) -> bool {
        self.0.query == other.0.query
    }
}

impl<T> std::fmt::Debug for Query<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.query.fmt(f)
    }
}

/// A compiled regular expression.
pub type Regex = Compiled<regex::Regex>;
