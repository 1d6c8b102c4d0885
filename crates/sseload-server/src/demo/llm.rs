//! The LLM-style feeds, OpenAI's two streaming APIs:
//!
//! - `POST /v1/completions` with `{"prompt", "max_tokens", "stream": true}`,
//!   answered with `text_completion` chunks;
//! - `POST /v1/chat/completions` with `{"messages", "max_tokens", "stream":
//!   true}`, answered with `chat.completion.chunk` deltas (see [`chat`](super::chat)).
//!
//! Both share the request handling, the knobs and the pacing here: a time to
//! first token, a delay between tokens, a final chunk with
//! `"finish_reason": "length"`, then `data: [DONE]`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use hyper::body::Incoming;
use serde_json::{Map, Value, json};
use sseload_proto::EventBuilder;
use tokio::sync::mpsc;

use super::chat;
use crate::hub::Msg;
use crate::respond::{self, Reply};
use crate::routes::read_body;
use crate::server::{Phase, Shared};
use crate::stream::EventStream;
use crate::subscribe::{self, bad_request};

/// The most tokens one request may ask for.
pub(crate) const MAX_TOKENS: u64 = 4096;

/// The words the demo model says, in a loop.
const WORDS: [&str; 12] = [
    " Server", "-Sent", " Events", " stream", " text", " from", " server", " to", " client",
    " over", " HTTP", ".",
];

/// Which of OpenAI's streaming APIs a request speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// `POST /v1/completions`: a `prompt`, answered with `text` chunks.
    Completions,
    /// `POST /v1/chat/completions`: `messages`, answered with `delta` chunks.
    Chat,
}

impl Api {
    /// Checks the fields only this API has.
    fn check_input(self, object: &Map<String, Value>) -> Result<(), String> {
        match self {
            Self::Completions => check_prompt(object),
            Self::Chat => chat::check_messages(object),
        }
    }

    fn id_prefix(self) -> &'static str {
        match self {
            Self::Completions => "cmpl",
            Self::Chat => "chatcmpl",
        }
    }

    /// The chunk that carries `token`.
    fn chunk(self, completion: &Completion, created: u64, token: Token) -> Value {
        let (object, choice) = match self {
            Self::Completions => ("text_completion", text_choice(token)),
            Self::Chat => ("chat.completion.chunk", chat::choice(token)),
        };
        json!({
            "id": completion.id, "object": object, "created": created, "model": completion.model,
            "choices": [choice],
            "ts": super::now_ms(),
        })
    }
}

/// What one chunk carries: the next word, or the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    /// The word at this 0-based position of the answer.
    Word(u64, &'static str),
    /// The final chunk: no text, `"finish_reason": "length"`.
    Finish,
}

/// What one completion request asks for.
#[derive(Debug)]
struct Completion {
    api: Api,
    id: String,
    model: String,
    max_tokens: u64,
    ttft: Duration,
    inter_token: Duration,
}

/// `POST /v1/completions?ttft_ms=..&itl_ms=..`.
pub(crate) async fn complete(shared: &Arc<Shared>, request: Request<Incoming>) -> Reply {
    answer(shared, request, Api::Completions)
        .await
        .unwrap_or_else(|reply| reply)
}

/// `POST /v1/chat/completions?ttft_ms=..&itl_ms=..`.
pub(crate) async fn chat(shared: &Arc<Shared>, request: Request<Incoming>) -> Reply {
    answer(shared, request, Api::Chat)
        .await
        .unwrap_or_else(|reply| reply)
}

async fn answer(
    shared: &Arc<Shared>,
    request: Request<Incoming>,
    api: Api,
) -> Result<Reply, Reply> {
    let (mut query, faults) = subscribe::admit(shared, &request)?;
    let millis = |ms: Option<u64>| ms.map(Duration::from_millis);
    let ttft = millis(
        query
            .parsed("ttft_ms", "milliseconds")
            .map_err(bad_request)?,
    );
    let inter_token = millis(
        query
            .parsed("itl_ms", "milliseconds")
            .map_err(bad_request)?,
    );
    query.finish().map_err(bad_request)?;
    let body = read_body(shared, request).await?;
    let mut completion = parse(&body, api).map_err(bad_request)?;
    completion.ttft = ttft.unwrap_or(shared.config.demo.time_to_first_token);
    completion.inter_token = inter_token.unwrap_or(shared.config.demo.inter_token);
    completion.id = format!("{}-{:016x}", api.id_prefix(), shared.dice.next_u64());
    subscribe::inject(shared, &faults)?;
    let (tx, rx) = mpsc::channel(shared.config.queue);
    tokio::spawn(produce(completion, tx, shared.phase.clone()));
    let prelude = subscribe::retry_hint(shared).into_iter().collect();
    let stream =
        EventStream::new(prelude, rx, Arc::clone(&shared.counters)).with_faults(faults.stream);
    Ok(respond::event_stream(stream))
}

/// Reads the request body; fields other than these are ignored, as OpenAI clients send many.
fn parse(body: &[u8], api: Api) -> Result<Completion, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|err| format!("invalid JSON: {err}"))?;
    let Value::Object(object) = value else {
        return Err("expected a JSON object".to_owned());
    };
    match object.get("stream") {
        Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) | None => {
            return Err("stream: only `\"stream\": true` is supported".to_owned());
        }
        Some(_) => return Err("stream: expected a boolean".to_owned()),
    }
    api.check_input(&object)?;
    let model = match object.get("model") {
        None => "sseload-demo".to_owned(),
        Some(Value::String(model)) => model.clone(),
        Some(_) => return Err("model: expected a string".to_owned()),
    };
    Ok(Completion {
        api,
        id: String::new(),
        model,
        max_tokens: max_tokens(&object)?,
        ttft: Duration::ZERO,
        inter_token: Duration::ZERO,
    })
}

fn check_prompt(object: &Map<String, Value>) -> Result<(), String> {
    if object.get("prompt").is_some_and(|p| !p.is_string()) {
        return Err("prompt: expected a string".to_owned());
    }
    Ok(())
}

fn max_tokens(object: &Map<String, Value>) -> Result<u64, String> {
    match object.get("max_tokens") {
        None => Ok(16),
        Some(value) => value
            .as_u64()
            .filter(|n| (1..=MAX_TOKENS).contains(n))
            .ok_or_else(|| {
                format!("max_tokens: expected a whole number from 1 to {MAX_TOKENS}, got {value}")
            }),
    }
}

/// A `text_completion` choice.
fn text_choice(token: Token) -> Value {
    let (text, finish) = match token {
        Token::Word(_, word) => (word, Value::Null),
        Token::Finish => ("", Value::from("length")),
    };
    json!({ "index": 0, "text": text, "logprobs": null, "finish_reason": finish })
}

/// Writes the chunks into the stream's queue, pacing them, until done, the
/// client leaves, or the server shuts down.
async fn produce(
    completion: Completion,
    tx: mpsc::Sender<Msg>,
    mut phase: tokio::sync::watch::Receiver<Phase>,
) {
    let created = super::now_ms() / 1000;
    let mut delay = completion.ttft;
    for index in 0..=completion.max_tokens {
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = crate::server::stopping(&mut phase) => return,
        }
        delay = completion.inter_token;
        let token = match index {
            i if i == completion.max_tokens => Token::Finish,
            i => Token::Word(i, WORDS[(i % WORDS.len() as u64) as usize]),
        };
        let chunk = completion.api.chunk(&completion, created, token);
        if send(&tx, &chunk.to_string()).await.is_err() {
            return;
        }
    }
    let _ = send(&tx, "[DONE]").await;
}

async fn send(tx: &mpsc::Sender<Msg>, data: &str) -> Result<(), mpsc::error::SendError<Msg>> {
    let bytes = EventBuilder::new()
        .data(data)
        .encode()
        .unwrap_or_else(|_| Bytes::new());
    tx.send(Msg::Event(bytes)).await
}

#[cfg(test)]
mod tests {
    use super::{Api, parse};

    #[test]
    fn refusals_name_the_field() {
        let cases: [(&[u8], &str); 6] = [
            (b"[]", "expected a JSON object"),
            (
                br#"{"prompt":"hi"}"#,
                "stream: only `\"stream\": true` is supported",
            ),
            (br#"{"stream":"yes"}"#, "stream: expected a boolean"),
            (
                br#"{"stream":true,"prompt":3}"#,
                "prompt: expected a string",
            ),
            (
                br#"{"stream":true,"max_tokens":0}"#,
                "max_tokens: expected a whole number from 1 to 4096, got 0",
            ),
            (
                br#"{"stream":true,"max_tokens":"many"}"#,
                "max_tokens: expected a whole number from 1 to 4096, got \"many\"",
            ),
        ];
        for (body, message) in cases {
            assert_eq!(parse(body, Api::Completions).unwrap_err(), message);
        }
    }

    #[test]
    fn defaults() {
        let completion = parse(
            br#"{"stream":true,"prompt":"hi","temperature":0.2}"#,
            Api::Completions,
        )
        .unwrap();
        assert_eq!(
            (completion.model.as_str(), completion.max_tokens),
            ("sseload-demo", 16)
        );
    }
}
