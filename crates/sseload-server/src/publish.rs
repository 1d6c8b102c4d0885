//! The publish body: one event object or an array of them, read by hand so
//! that each refusal names the field and the event at fault.
//!
//! ```json
//! {"event": "price", "data": {"symbol": "AAPL"}, "id": "optional"}
//! ```
//!
//! `data` is required: a string is sent as is, any other JSON value as its
//! compact JSON text. `event` and `id` are optional strings.

use serde_json::{Map, Value};

use crate::hub::NewEvent;

/// Reads a publish body.
pub(crate) fn parse(body: &[u8]) -> Result<Vec<NewEvent>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|err| format!("invalid JSON: {err}"))?;
    match value {
        Value::Object(object) => Ok(vec![event(&object, None)?]),
        Value::Array(items) if items.is_empty() => Err("the batch holds no events".to_owned()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| batch_item(i, item))
            .collect(),
        other => Err(format!(
            "expected an event object or an array of them, got {}",
            kind(&other)
        )),
    }
}

fn batch_item(index: usize, item: &Value) -> Result<NewEvent, String> {
    match item {
        Value::Object(object) => event(object, Some(index)),
        other => Err(format!(
            "events[{index}]: expected an event object, got {}",
            kind(other)
        )),
    }
}

fn event(object: &Map<String, Value>, index: Option<usize>) -> Result<NewEvent, String> {
    let at = |field: &str| match index {
        Some(i) => format!("events[{i}].{field}"),
        None => field.to_owned(),
    };
    if let Some(unknown) = object
        .keys()
        .find(|k| !matches!(k.as_str(), "event" | "data" | "id"))
    {
        return Err(format!(
            "{}: unknown field (expected event, data, id)",
            at(unknown)
        ));
    }
    let data = match object.get("data") {
        None => return Err(format!("{}: missing", at("data"))),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    };
    let mut new = NewEvent::new(data);
    if let Some(event_type) =
        optional_string(object, "event").map_err(|got| format!("{}: {got}", at("event")))?
    {
        new = new.event(event_type);
    }
    if let Some(id) = optional_string(object, "id").map_err(|got| format!("{}: {got}", at("id")))? {
        new = new.id(id);
    }
    Ok(new)
}

fn optional_string(object: &Map<String, Value>, field: &str) -> Result<Option<String>, String> {
    match object.get(field) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(format!("expected a string, got {}", kind(other))),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn one_event_and_a_batch() {
        let one = parse(br#"{"event":"price","data":{"p":1},"id":"a"}"#).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].data(), r#"{"p":1}"#);
        assert_eq!(parse(br#"[{"data":"x"},{"data":"y"}]"#).unwrap().len(), 2);
    }

    #[test]
    fn refusals_name_the_problem() {
        let cases: [(&[u8], &str); 8] = [
            (
                b"{",
                "invalid JSON: EOF while parsing an object at line 1 column 1",
            ),
            (
                b"42",
                "expected an event object or an array of them, got a number",
            ),
            (b"[]", "the batch holds no events"),
            (br#"{"event":"x"}"#, "data: missing"),
            (
                br#"{"data":"x","event":5}"#,
                "event: expected a string, got a number",
            ),
            (
                br#"[{"data":"x"},{"data":"y","id":true}]"#,
                "events[1].id: expected a string, got a boolean",
            ),
            (
                br#"[{"data":"x"},"y"]"#,
                "events[1]: expected an event object, got a string",
            ),
            (
                br#"{"data":"x","colour":"red"}"#,
                "colour: unknown field (expected event, data, id)",
            ),
        ];
        for (body, message) in cases {
            assert_eq!(
                parse(body).unwrap_err(),
                message,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
