//! The all-splits runner: every parser test feeds its input many ways.

use sseload_proto::{Event, Item, ParseError, Parser};

/// What a parser produced from one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Every item, in order.
    pub(crate) items: Vec<Item>,
    /// The error that stopped the stream, if any.
    pub(crate) error: Option<ParseError>,
    /// The parser's last event id after the stream.
    pub(crate) last_event_id: String,
}

impl Outcome {
    /// Just the dispatched events.
    pub(crate) fn events(&self) -> Vec<Event> {
        self.items
            .iter()
            .filter_map(|item| match item {
                Item::Event(event) => Some(event.clone()),
                _ => None,
            })
            .collect()
    }
}

/// Feeds `chunks` in order to a fresh parser from `make`; stops at the first error.
pub(crate) fn run_chunks<'a>(
    make: &dyn Fn() -> Parser,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Outcome {
    let mut parser = make();
    let mut items = Vec::new();
    let mut error = None;
    for chunk in chunks {
        if let Err(err) = parser.feed(chunk, |item| items.push(item)) {
            error = Some(err);
            break;
        }
    }
    Outcome {
        items,
        error,
        last_event_id: parser.last_event_id().to_owned(),
    }
}

/// Runs `input` through every split and asserts that all give the one-chunk outcome.
///
/// The splits: one chunk; two chunks at every offset; three chunks at every
/// pair of offsets for short inputs; byte by byte; twenty random splits.
pub(crate) fn parse_with(make: &dyn Fn() -> Parser, input: &[u8]) -> Outcome {
    let whole = run_chunks(make, [input]);
    let check = |how: &str, got: Outcome| {
        assert_eq!(
            got,
            whole,
            "{how} differs from one chunk for {:?}",
            String::from_utf8_lossy(input)
        );
    };
    for at in 0..=input.len() {
        check(
            &format!("split at {at}"),
            run_chunks(make, [&input[..at], &input[at..]]),
        );
    }
    if input.len() <= 64 {
        for a in 0..=input.len() {
            for b in a..=input.len() {
                check(
                    &format!("split at {a} and {b}"),
                    run_chunks(make, [&input[..a], &input[a..b], &input[b..]]),
                );
            }
        }
    }
    check("byte by byte", run_chunks(make, input.chunks(1)));
    let mut rng = SplitMix64(input.len() as u64);
    for _ in 0..20 {
        let cuts = random_cuts(&mut rng, input.len());
        check(
            &format!("random split at {cuts:?}"),
            run_chunks(make, split_at_all(input, &cuts)),
        );
    }
    whole
}

/// [`parse_with`] for a default parser that reports comments.
pub(crate) fn parse(input: &[u8]) -> Outcome {
    parse_with(&|| Parser::new().with_comments(true), input)
}

/// The events a default parser dispatches for `input`, checked under every split.
pub(crate) fn events(input: &[u8]) -> Vec<Event> {
    let outcome = parse(input);
    assert_eq!(outcome.error, None, "unexpected error");
    outcome.events()
}

/// A tiny deterministic generator (SplitMix64), enough to pick split points.
struct SplitMix64(u64);

impl SplitMix64 {
    /// A number in `0..=max`.
    fn up_to(&mut self, max: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z % (max as u64 + 1)) as usize
    }
}

/// Sorted cut offsets in `0..=len`, at most eight of them.
fn random_cuts(rng: &mut SplitMix64, len: usize) -> Vec<usize> {
    let count = rng.up_to(8);
    let mut cuts: Vec<usize> = (0..count).map(|_| rng.up_to(len)).collect();
    cuts.sort_unstable();
    cuts
}

/// Cuts `input` at the sorted offsets `cuts` (empty chunks included).
pub(crate) fn split_at_all<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for &cut in cuts {
        chunks.push(&input[start..cut]);
        start = cut;
    }
    chunks.push(&input[start..]);
    chunks
}

/// An event of type `event_type` (empty for "message") with `data` and last event id `id`.
pub(crate) fn event(event_type: &str, data: &str, id: &str) -> Event {
    Event::new(event_type, data, id)
}

/// A "message" event with `data` and no id.
pub(crate) fn message(data: &str) -> Event {
    Event::new("", data, "")
}

/// Feeds one chunk to `parser`, collecting items; the chunk must parse.
pub(crate) fn feed(parser: &mut Parser, items: &mut Vec<Item>, chunk: &[u8]) {
    parser
        .feed(chunk, |item| items.push(item))
        .expect("chunk parses");
}
