//! Checks as written: the criteria applied to an event or a response, and
//! the named message checks of `await` sequences.

use schemars::JsonSchema;
use serde::Deserialize;

use super::Dur;
use crate::yaml::{Checked, OneOrMany, Spanned};

/// A list of criteria; one criterion may be written without the list.
pub(crate) type Criteria = OneOrMany<Checked<Spanned<Criterion>>>;

/// One check sequence of an `await`: its checks run one after another, each
/// consuming one matching event, all within `timeout`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Sequence {
    /// How long the whole sequence may take, counted from when it is armed.
    pub(crate) timeout: Dur,
    /// The checks, in order.
    pub(crate) checks: Vec<Checked<Spanned<MessageCheck>>>,
}

/// A named check on one incoming event (Gatling's `checkMessage`).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MessageCheck {
    /// The check's name: the name its timing and result are recorded under.
    pub(crate) name: Spanned<String>,
    /// Only events passing all of these count; the others are unmatched.
    #[serde(default)]
    pub(crate) matching: Criteria,
    /// What must hold for the matched event (and what to save from it).
    #[serde(default)]
    pub(crate) check: Criteria,
    /// A timeout on this check is not a failure (gatling#3959).
    #[serde(default)]
    pub(crate) optional: bool,
}

/// One criterion: where to look (exactly one extractor), which of the found
/// values to take, how to transform it, what must hold (at most one
/// validator, `exists` by default), and where to save it.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Criterion {
    /// Extract a whole field: `event`, `id`, `data`, `retry`, `json` (the
    /// event rendered as one JSON object, as Gatling checks see it), or, on
    /// HTTP responses, `status` and `body`.
    #[serde(default)]
    pub(crate) field: Option<Spanned<Field>>,
    /// Extract an HTTP response header.
    #[serde(default)]
    pub(crate) header: Option<Spanned<String>>,
    /// Extract with an RFC 9535 JSON Path from the data (or body) parsed as JSON.
    #[serde(default)]
    pub(crate) json_path: Option<Spanned<String>>,
    /// Extract with a JMESPath expression from the data (or body) parsed as JSON.
    #[serde(default)]
    pub(crate) jmes_path: Option<Spanned<String>>,
    /// Extract the matches of a regular expression (capture group 1 if any).
    #[serde(default)]
    pub(crate) regex: Option<Spanned<String>>,
    /// Extract the offsets where this text occurs.
    #[serde(default)]
    pub(crate) substring: Option<Spanned<String>>,
    /// Short for `{field: event, is: VALUE}`.
    #[serde(default)]
    pub(crate) event: Option<Spanned<String>>,
    /// Short for `{field: id, is: VALUE}`.
    #[serde(default)]
    pub(crate) id: Option<Spanned<String>>,
    /// Short for `{field: data, is: VALUE}`.
    #[serde(default)]
    pub(crate) data: Option<Spanned<String>>,
    /// Short for `{field: status, is: VALUE}` (HTTP responses).
    #[serde(default)]
    pub(crate) status: Option<Spanned<u16>>,
    /// What `json_path`, `jmes_path`, `regex` and `substring` read: `data`
    /// (the default; the body for HTTP) or `json` (the whole event as JSON).
    #[serde(default)]
    pub(crate) on: Option<Spanned<Field>>,
    /// The regex capture group to extract (0 is the whole match).
    #[serde(default)]
    pub(crate) group: Option<Spanned<i64>>,
    /// Which found values: `first` (default), `all`, `count` or `random`.
    #[serde(default)]
    pub(crate) find: Option<Spanned<Find>>,
    /// Take the n-th found value, counting from 0.
    #[serde(default)]
    pub(crate) nth: Option<Spanned<i64>>,
    /// Convert the value: `number`, `string` or `length`.
    #[serde(default)]
    pub(crate) transform: Option<Spanned<Transform>>,
    /// Equal to this value (strings are templates).
    #[serde(default)]
    pub(crate) is: Option<Spanned<serde_json::Value>>,
    /// Different from this value (strings are templates).
    #[serde(default)]
    pub(crate) not: Option<Spanned<serde_json::Value>>,
    /// Equal to one of these values.
    #[serde(rename = "in", default)]
    pub(crate) one_of: Option<Spanned<Vec<serde_json::Value>>>,
    /// `true`: something was found (the default validator); `false`: nothing was.
    #[serde(default)]
    pub(crate) exists: Option<Spanned<bool>>,
    /// `true`: nothing was found.
    #[serde(default)]
    pub(crate) not_exists: Option<Spanned<bool>>,
    /// A number less than this.
    #[serde(default)]
    pub(crate) lt: Option<Spanned<f64>>,
    /// A number less than or equal to this.
    #[serde(default)]
    pub(crate) lte: Option<Spanned<f64>>,
    /// A number greater than this.
    #[serde(default)]
    pub(crate) gt: Option<Spanned<f64>>,
    /// A number greater than or equal to this.
    #[serde(default)]
    pub(crate) gte: Option<Spanned<f64>>,
    /// Text matching this regular expression.
    #[serde(default)]
    pub(crate) matches: Option<Spanned<String>>,
    /// Save the extracted value in the session under this name.
    #[serde(default)]
    pub(crate) save_as: Option<Spanned<String>>,
    /// Finding nothing is not a failure (the validator is skipped).
    #[serde(default)]
    pub(crate) optional: bool,
}

/// A whole part of an event or a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Field {
    /// The event type (`message` when the stream names none).
    Event,
    /// The event id.
    Id,
    /// The event data.
    Data,
    /// The event's retry value, in milliseconds.
    Retry,
    /// The event rendered as `{"event":…,"id":…,"data":…,"retry":…}`.
    Json,
    /// The HTTP status code.
    Status,
    /// The HTTP response body.
    Body,
}

/// Which of the found values a criterion takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Find {
    /// The first one.
    First,
    /// All of them, as a list.
    All,
    /// How many there are.
    Count,
    /// One at random.
    Random,
}

/// A conversion of the found value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Transform {
    /// Parse as a number.
    Number,
    /// Render as text.
    String,
    /// Length of a text (characters) or of a list.
    Length,
}
