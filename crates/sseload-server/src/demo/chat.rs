//! What the chat API adds to the LLM feed: the `messages` it takes and the
//! `delta` chunks it answers with. Pacing and the request handling are in
//! [`llm`](super::llm).

use serde_json::{Map, Value, json};

use super::llm::Token;

/// The roles OpenAI's chat API knows.
const ROLES: [&str; 5] = ["system", "developer", "user", "assistant", "tool"];

/// `messages` must be a non-empty array of `{role, content}` objects.
pub(crate) fn check_messages(object: &Map<String, Value>) -> Result<(), String> {
    let messages = match object.get("messages") {
        None => return Err("messages: required".to_owned()),
        Some(Value::Array(messages)) if messages.is_empty() => {
            return Err("messages: expected at least one message".to_owned());
        }
        Some(Value::Array(messages)) => messages,
        Some(_) => return Err("messages: expected an array".to_owned()),
    };
    for (index, message) in messages.iter().enumerate() {
        check_message(message).map_err(|problem| format!("messages[{index}]{problem}"))?;
    }
    Ok(())
}

/// One message; the error starts with the field's path inside the message.
fn check_message(message: &Value) -> Result<(), String> {
    let Value::Object(message) = message else {
        return Err(": expected an object with role and content".to_owned());
    };
    match message.get("role") {
        Some(Value::String(role)) if ROLES.contains(&role.as_str()) => {}
        Some(other) => {
            return Err(format!(
                ".role: expected one of {}, got {other}",
                ROLES.join(", ")
            ));
        }
        None => return Err(".role: required".to_owned()),
    }
    // Text, content parts (as multimodal clients send), or null (an
    // assistant message that only called tools).
    match message.get("content") {
        Some(Value::String(_) | Value::Array(_) | Value::Null) => Ok(()),
        Some(other) => Err(format!(
            ".content: expected a string or an array of content parts, got {other}"
        )),
        None => Err(".content: required".to_owned()),
    }
}

/// A `chat.completion.chunk` choice: the first word also says who speaks.
pub(crate) fn choice(token: Token) -> Value {
    let (delta, finish) = match token {
        Token::Word(0, word) => (json!({ "role": "assistant", "content": word }), Value::Null),
        Token::Word(_, word) => (json!({ "content": word }), Value::Null),
        Token::Finish => (json!({}), Value::from("length")),
    };
    json!({ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{Token, check_messages, choice};

    fn check(body: &Value) -> Result<(), String> {
        check_messages(body.as_object().unwrap())
    }

    #[test]
    fn refusals_name_the_field() {
        let cases = [
            (json!({}), "messages: required"),
            (json!({"messages": "hi"}), "messages: expected an array"),
            (
                json!({"messages": []}),
                "messages: expected at least one message",
            ),
            (
                json!({"messages": ["hi"]}),
                "messages[0]: expected an object with role and content",
            ),
            (
                json!({"messages": [{"role": "user", "content": "a"}, {"content": "b"}]}),
                "messages[1].role: required",
            ),
            (
                json!({"messages": [{"role": "robot", "content": "a"}]}),
                "messages[0].role: expected one of system, developer, user, assistant, tool, got \"robot\"",
            ),
            (
                json!({"messages": [{"role": "user"}]}),
                "messages[0].content: required",
            ),
            (
                json!({"messages": [{"role": "user", "content": 7}]}),
                "messages[0].content: expected a string or an array of content parts, got 7",
            ),
        ];
        for (body, message) in cases {
            assert_eq!(check(&body).unwrap_err(), message);
        }
    }

    #[test]
    fn messages_may_carry_parts_or_no_content() {
        let body = json!({"messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
            {"role": "assistant", "content": null},
        ]});
        assert_eq!(check(&body), Ok(()));
    }

    #[test]
    fn the_first_delta_names_the_role_and_the_last_finishes() {
        assert_eq!(
            choice(Token::Word(0, " Server"))["delta"],
            json!({"role": "assistant", "content": " Server"})
        );
        assert_eq!(
            choice(Token::Word(1, "-Sent"))["delta"],
            json!({"content": "-Sent"})
        );
        let last = choice(Token::Finish);
        assert_eq!(
            (&last["delta"], &last["finish_reason"]),
            (&json!({}), &json!("length"))
        );
    }
}
