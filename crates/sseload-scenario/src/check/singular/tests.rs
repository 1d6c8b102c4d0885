//! The singular fast path against the general one (parse the whole
//! document, run `serde_json_path`): on examples of each edge, and on random
//! documents and paths.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{SingularPath, Step};
use crate::check::scan::{self, Located};
use crate::check::walk;

fn compiled(source: &str) -> serde_json_path::JsonPath {
    serde_json_path::JsonPath::parse(source).unwrap_or_else(|e| panic!("{source}: {e}"))
}

fn singular(source: &str) -> SingularPath {
    SingularPath::of(source, &compiled(source)).unwrap_or_else(|| panic!("{source} is singular"))
}

/// What the general path gives: the first value selected, or the parse error.
fn general(source: &str, text: &str) -> Result<Option<Value>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let nodes = compiled(source).query(&value).all();
    assert!(nodes.len() <= 1, "{source} selected {nodes:?}");
    Ok(nodes.first().map(|v| (*v).clone()))
}

/// What the fast path gives; the serde_json walk alone must give the same
/// (the quick scan only answers for some texts).
fn fast(source: &str, text: &str) -> Result<Option<Value>, String> {
    let path = singular(source);
    let walked = walk::find(path.steps(), text).map_err(|e| e.to_string());
    let found = crate::check::find(&path, text).map_err(|e| e.to_string());
    assert_eq!(found, walked, "{source} on {text}: scan and walk differ");
    found
}

/// Both paths agree on `text`; returns what they give.
fn both(source: &str, text: &str) -> Result<Option<Value>, String> {
    let expected = general(source, text);
    assert_eq!(fast(source, text), expected, "{source} on {text}");
    expected
}

#[test]
fn the_shapes_users_write_are_singular() {
    let name = |n: &str| Step::Name(n.to_owned());
    let cases = [
        ("$", vec![]),
        ("$.ts", vec![name("ts")]),
        ("$.a.b.c", vec![name("a"), name("b"), name("c")]),
        ("$['a']", vec![name("a")]),
        ("$[\"a b\"]", vec![name("a b")]),
        ("$.a[0]", vec![name("a"), Step::Index(0)]),
        ("$[12]", vec![Step::Index(12)]),
        (
            "$.choices[0].delta.content",
            vec![
                name("choices"),
                Step::Index(0),
                name("delta"),
                name("content"),
            ],
        ),
        ("$.é_1", vec![name("é_1")]),
        ("$[ 'a' ] ['b']", vec![name("a"), name("b")]),
        ("$['it\\'s']", vec![name("it's")]),
        ("$['\\u0061\\n\\\\']", vec![name("a\n\\")]),
        ("$['\\u00e9']", vec![name("é")]),
    ];
    for (source, steps) in cases {
        assert_eq!(singular(source).steps(), steps.as_slice(), "{source}");
    }
}

#[test]
fn other_paths_take_the_general_path() {
    for source in [
        "$.*",
        "$[*]",
        "$..a",
        "$.a[-1]",
        "$.a[0:2]",
        "$.a[?@.b]",
        "$['a','b']",
        "$[0,1]",
        "$.a[?length(@) > 1]",
        "$['$serde_json::private::Number']",
    ] {
        assert_eq!(
            SingularPath::of(source, &compiled(source)),
            None,
            "{source}"
        );
    }
}

#[test]
fn a_misread_source_is_caught_by_the_round_trip() {
    // A source that does not mean what the compiled query means is refused.
    assert_eq!(SingularPath::of("$.a", &compiled("$.b")), None);
    assert_eq!(SingularPath::of("$['a']", &compiled("$.a")), None);
}

#[test]
fn found_values_of_every_kind() {
    let doc = r#"{"s":"x\u00e9","n":-3,"u":18446744073709551615,"f":1.5e3,"b":true,"z":null,"o":{"k":[1]},"a":[]}"#;
    let cases = [
        ("$.s", json!("xé")),
        ("$.n", json!(-3)),
        ("$.u", json!(u64::MAX)),
        ("$.f", json!(1500.0)),
        ("$.b", json!(true)),
        ("$.z", Value::Null),
        ("$.o", json!({"k": [1]})),
        ("$.o.k[0]", json!(1)),
        ("$.a", json!([])),
    ];
    for (source, value) in cases {
        assert_eq!(both(source, doc), Ok(Some(value)), "{source}");
    }
}

#[test]
fn the_whole_document_at_the_root() {
    assert_eq!(
        both("$", r#" {"a": [1, "x"]} "#),
        Ok(Some(json!({"a": [1, "x"]})))
    );
    assert_eq!(both("$", "7"), Ok(Some(json!(7))));
}

#[test]
fn missing_members_and_elements_find_nothing() {
    let doc = r#"{"a":{"b":[10,20]},"s":"text"}"#;
    for source in [
        "$.x",
        "$.a.x",
        "$.a.b[2]",
        "$.a.b[99999999]",
        "$.s.x",
        "$.s[0]",
    ] {
        assert_eq!(both(source, doc), Ok(None), "{source}");
    }
}

#[test]
fn names_do_not_select_in_arrays_nor_indexes_in_objects() {
    assert_eq!(both("$.a", r#"[{"a":1}]"#), Ok(None));
    assert_eq!(both("$[0]", r#"{"0":1}"#), Ok(None));
    assert_eq!(both("$['0']", r#"{"0":1}"#), Ok(Some(json!(1))));
    assert_eq!(both("$.a[1]", r#"{"a":{"1":2}}"#), Ok(None));
}

#[test]
fn the_last_duplicate_key_counts() {
    assert_eq!(both("$.a", r#"{"a":1,"a":2}"#), Ok(Some(json!(2))));
    assert_eq!(both("$.a.b", r#"{"a":{"b":1},"a":{"c":2}}"#), Ok(None));
    assert_eq!(
        both("$.a.b", r#"{"a":{"c":1},"a":{"b":2}}"#),
        Ok(Some(json!(2)))
    );
    assert_eq!(both("$.a.b", r#"{"a":{"b":1,"b":3}}"#), Ok(Some(json!(3))));
    assert_eq!(both("$.a[0]", r#"{"a":[1],"a":"x"}"#), Ok(None));
}

#[test]
fn escaped_keys_match_their_decoded_names() {
    assert_eq!(both("$.ab", r#"{"\u0061b":1}"#), Ok(Some(json!(1))));
    assert_eq!(both("$['a\"b']", r#"{"a\"b":1}"#), Ok(Some(json!(1))));
    assert_eq!(both("$.é", r#"{"\u00e9":1}"#), Ok(Some(json!(1))));
    assert_eq!(both("$['😀']", r#"{"\ud83d\ude00":1}"#), Ok(Some(json!(1))));
    assert_eq!(
        both("$.a", r#"{"\u0061":1,"a":2,"\u0061":3}"#),
        Ok(Some(json!(3)))
    );
}

#[test]
fn text_that_is_not_json_fails_with_the_parsers_message() {
    let cases = [
        ("", "EOF while parsing a value at line 1 column 0"),
        ("plain text", "expected value at line 1 column 1"),
        (
            r#"{"ts":1"#,
            "EOF while parsing an object at line 1 column 7",
        ),
        (r#"{"ts":1} x"#, "trailing characters at line 1 column 10"),
        (r#"{"ts":1,}"#, "trailing comma at line 1 column 9"),
        (r#"{ts:1}"#, "key must be a string at line 1 column 2"),
        (r#"[1 2]"#, "expected `,` or `]` at line 1 column 4"),
        (r#"{"a":01}"#, "invalid number at line 1 column 7"),
    ];
    for (text, message) in cases {
        assert_eq!(both("$.ts", text), Err(message.to_owned()), "{text}");
    }
}

#[test]
fn what_is_skipped_is_still_checked_as_json() {
    // `IgnoredAny` lets these through; parsing into a `Value` does not.
    let out_of_range = r#"{"ts":1,"x":1e400}"#;
    assert_eq!(
        both("$.ts", out_of_range),
        Err("number out of range at line 1 column 17".to_owned())
    );
    let lone_surrogate = r#"{"ts":1,"x":"\ud800"}"#;
    assert!(both("$.ts", lone_surrogate).is_err());
    let bad_escape = r#"{"ts":1,"x":"\q"}"#;
    assert!(both("$.ts", bad_escape).is_err());
    let control = "{\"ts\":1,\"x\":\"a\u{1}b\"}";
    assert!(both("$.ts", control).is_err());
    let bad_key = r#"{"ts":1,"\ud800":2}"#;
    assert!(both("$.ts", bad_key).is_err());
}

#[test]
fn nesting_deeper_than_the_parser_allows_fails_alike() {
    let deep = format!("{{\"ts\":1,\"x\":{}{}}}", "[".repeat(200), "]".repeat(200));
    let result = both("$.ts", &deep);
    assert!(
        result
            .as_ref()
            .is_err_and(|e| e.starts_with("recursion limit exceeded")),
        "{result:?}"
    );
    let found = format!("{{\"ts\":{}{}}}", "[".repeat(100), "]".repeat(100));
    assert!(both("$.ts", &found).is_ok_and(|v| v.is_some()));
}

#[test]
fn big_and_odd_numbers_are_the_parsers() {
    for number in [
        "18446744073709551616",
        "-9223372036854775809",
        "1e308",
        "-0",
        "0.1e-400",
        "1E+2",
    ] {
        let doc = format!("{{\"n\":{number}}}");
        assert!(both("$.n", &doc).is_ok_and(|v| v.is_some()), "{number}");
    }
}

#[test]
fn the_scan_answers_for_plain_documents() {
    let chunk = r#"{"id":"c-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" hi"},"finish_reason":null}]}"#;
    let cases = [
        (
            "$.ts",
            r#"{"ts":1732219200123,"pad":"xxxx"}"#,
            Some("1732219200123"),
        ),
        ("$.choices[0].delta.content", chunk, Some("\" hi\"")),
        ("$.choices[1]", chunk, None),
        (
            "$.a",
            " { \"a\" : [ 1.5e-3 , -0 , true , \"\\n\\u00e9\" ] } ",
            Some("[ 1.5e-3 , -0 , true , \"\\n\\u00e9\" ]"),
        ),
        ("$.a", r#"{"a":1,"a":{"b":[]}}"#, Some(r#"{"b":[]}"#)),
        ("$.a.b", r#"{"a":{"b":1},"a":{}}"#, None),
    ];
    for (source, text, expected) in cases {
        let located = scan::locate(singular(source).steps(), text);
        let found = located.map(|l| match l {
            Located::At(span) => Some(&text[span]),
            Located::Nowhere => None,
        });
        assert_eq!(found, Some(expected), "{source} on {text}");
        assert!(both(source, text).is_ok());
    }
}

#[test]
fn the_scan_leaves_what_it_is_unsure_of_to_serde_json() {
    let deep = format!("{}{}", "[".repeat(101), "]".repeat(101));
    let long = format!("{{\"n\":1{}}}", "0".repeat(301));
    for text in [
        "",
        "\u{feff}{}",
        r#"{"\u0061":1}"#,
        r#"{"a":"\ud83d\ude00"}"#,
        r#"{"a":"\q"}"#,
        "{\"a\":\"\u{1}\"}",
        r#"{"a":1e400}"#,
        r#"{"a":1e10000}"#,
        long.as_str(),
        r#"{"a":01}"#,
        r#"{"a":1.}"#,
        r#"{"a":-}"#,
        r#"{"a":1x}"#,
        r#"{"a":-x}"#,
        r#"{"a":1.5e}"#,
        r#"{"a":tru}"#,
        r#"{"a":"x}"#,
        r#"{"a"::1}"#,
        r#"{,"a":1}"#,
        r#"{"a":1 "b":2}"#,
        r#"[1 2]"#,
        r#"{"a":1,}"#,
        r#"[1,]"#,
        r#"{"a" 1}"#,
        r#"{"a":nul}"#,
        r#"{"a":1} x"#,
        deep.as_str(),
    ] {
        assert_eq!(scan::locate(singular("$.a").steps(), text), None, "{text}");
        let _agree = both("$.a", text);
    }
}

#[test]
fn plain_tokens_become_what_serde_json_makes_of_them() {
    for token in [
        "0",
        "7",
        "1234567890123456789",
        "\"\"",
        "\"a b\"",
        "\"é\"",
        "true",
        "false",
        "null",
    ] {
        let parsed: Value = serde_json::from_str(token).unwrap();
        assert_eq!(scan::plain_value(token), Some(parsed), "{token}");
    }
    for token in [
        "-0",
        "-1",
        "1.5",
        "1e3",
        "18446744073709551615",
        "\"a\\n\"",
        "[1]",
        "{}",
    ] {
        assert_eq!(scan::plain_value(token), None, "{token}");
    }
}

#[test]
fn container_detection_agrees_with_parsing() {
    for (text, container) in [
        ("{}", true),
        (" [1] ", true),
        ("\"x\"", false),
        ("1", false),
        ("{", false),
        ("[1e400]", false),
        ("{} x", false),
        ("\t\r\n{\"a\":[]}", true),
        ("[\"\\ud800\"]", false),
    ] {
        let parsed = matches!(
            serde_json::from_str::<Value>(text),
            Ok(Value::Object(_) | Value::Array(_))
        );
        assert_eq!(parsed, container, "{text}");
        assert_eq!(walk::is_container(text), container, "{text}");
        assert_eq!(crate::check::is_container(text), container, "{text}");
    }
}

/// Names used both as keys in documents and in paths, so that paths hit.
const NAMES: [&str; 9] = ["a", "b", "é", "", "a b", "'", "\"", "\\", "x\ny"];

/// One of [`NAMES`], mostly `a` or `b` so that keys repeat and paths hit.
fn name() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        3 => Just("a"),
        2 => Just("b"),
        2 => proptest::sample::select(NAMES.to_vec()),
    ]
}

/// A name in a path: a member-name shorthand when it can be, or quoted.
fn path_name(name: &'static str) -> impl Strategy<Value = String> {
    let shorthand = name.chars().all(|c| c.is_alphanumeric() || c == '_') && !name.is_empty();
    let single = format!(
        "['{}']",
        name.replace('\\', "\\\\")
            .replace('\'', "\\'")
            .replace('\n', "\\n")
    );
    let double = format!(
        "[\"{}\"]",
        name.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\u000A")
    );
    let mut forms = vec![single, double];
    if shorthand {
        forms.push(format!(".{name}"));
    }
    proptest::sample::select(forms)
}

fn path() -> impl Strategy<Value = String> {
    let step = prop_oneof![
        name().prop_flat_map(path_name),
        (0usize..3).prop_map(|i| format!("[{i}]")),
    ];
    proptest::collection::vec(step, 0..4).prop_map(|steps| format!("${}", steps.concat()))
}

/// A key as JSON text: plainly quoted, or (one in eight) every character
/// `\u`-escaped.
fn key() -> impl Strategy<Value = String> {
    (name(), 0..8).prop_map(|(name, escaped)| {
        if escaped == 0 {
            let units: String = name.encode_utf16().map(|u| format!("\\u{u:04x}")).collect();
            format!("\"{units}\"")
        } else {
            Value::from(name).to_string()
        }
    })
}

fn leaf() -> impl Strategy<Value = String> {
    let odd = proptest::sample::select(vec![
        "0",
        "-0",
        "1.5",
        "1e3",
        "2.5E-3",
        "18446744073709551616",
        "-9223372036854775809",
        "0.1e-400",
        "true",
        "false",
        "null",
        "\"x\"",
        "\"\\u00e9\\n\"",
        "\"\\ud83d\\ude00\"",
    ]);
    let bad = proptest::sample::select(vec![
        "1e400",
        "01",
        "1.",
        "-",
        "\"\\ud800\"",
        "\"\\q\"",
        "nul",
        "\"a\u{1}\"",
    ]);
    prop_oneof![
        40 => odd.prop_map(str::to_owned),
        20 => any::<i64>().prop_map(|n| n.to_string()),
        10 => any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| f.to_string()),
        20 => "[a-z ]{0,6}".prop_map(|s| Value::from(s).to_string()),
        1 => bad.prop_map(str::to_owned),
    ]
}

/// JSON text, mostly valid, with duplicate and escaped keys and odd spacing.
fn document() -> impl Strategy<Value = String> {
    leaf().prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5)
                .prop_map(|items| format!("[{}]", items.join(","))),
            proptest::collection::vec((key(), inner), 0..5).prop_map(|entries| {
                let entries: Vec<String> = entries
                    .into_iter()
                    .map(|(k, v)| format!("{k} : {v}"))
                    .collect();
                format!("{{ {} }}", entries.join(","))
            }),
        ]
    })
}

/// A document, sometimes broken: cut short, with a stray character, or
/// followed by something.
fn text() -> impl Strategy<Value = String> {
    let stray = proptest::sample::select(vec![
        "x", ",", ":", "]", "}", "\"", "\\", "0", "-", ".", "e", " ",
    ]);
    let how = (0u8..10, any::<proptest::sample::Index>(), stray);
    (document(), how).prop_map(|(doc, (how, at, stray))| {
        let at = at.index(doc.len() + 1);
        let at = (0..=at)
            .rev()
            .find(|i| doc.is_char_boundary(*i))
            .unwrap_or(0);
        match how {
            0 => doc[..at].to_owned(),
            1 | 2 => format!("{}{stray}{}", &doc[..at], &doc[at..]),
            3 => format!("{doc} x"),
            4 => format!(" \n{doc}\t"),
            _ => doc,
        }
    })
}

fn jmespath_singular(source: &str) -> Option<SingularPath> {
    let expression = jmespath::compile(source).unwrap_or_else(|e| panic!("{source}: {e}"));
    SingularPath::of_jmespath(expression.as_ast())
}

/// What JMESPath itself gives on the parsed document (null is nothing).
fn jmespath_general(source: &str, text: &str) -> Result<Option<Value>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let expression = jmespath::compile(source).unwrap_or_else(|e| panic!("{source}: {e}"));
    let found = expression.search(&value).map_err(|e| e.to_string())?;
    let found = serde_json::to_value(&*found).map_err(|e| e.to_string())?;
    Ok((!found.is_null()).then_some(found))
}

fn jmespath_fast(source: &str, text: &str) -> Result<Option<Value>, String> {
    let path = jmespath_singular(source).unwrap_or_else(|| panic!("{source} is singular"));
    let found = crate::check::find(&path, text).map_err(|e| e.to_string())?;
    Ok(found.filter(|v| !v.is_null()))
}

#[test]
fn jmespath_chains_of_fields_and_indexes_are_singular() {
    let name = |n: &str| Step::Name(n.to_owned());
    let cases = [
        ("@", vec![]),
        ("a", vec![name("a")]),
        ("a.b.c", vec![name("a"), name("b"), name("c")]),
        (
            "choices[0].text",
            vec![name("choices"), Step::Index(0), name("text")],
        ),
        ("[1][0]", vec![Step::Index(1), Step::Index(0)]),
        ("\"a b\".\"\\u00e9\"", vec![name("a b"), name("é")]),
    ];
    for (source, steps) in cases {
        let path = jmespath_singular(source).unwrap_or_else(|| panic!("{source}"));
        assert_eq!(path.steps(), steps.as_slice(), "{source}");
    }
    for source in [
        "a[-1]",
        "a[*].b",
        "a[]",
        "a[0:1]",
        "a || b",
        "[?a > `1`]",
        "length(a)",
        "a.[b]",
        "`1`",
    ] {
        assert_eq!(jmespath_singular(source), None, "{source}");
    }
}

#[test]
fn jmespath_null_is_nothing_on_both_paths() {
    for (source, text) in [
        ("a", r#"{"a":null}"#),
        ("a.b", r#"{"a":[1]}"#),
        ("a[0]", r#"{"a":{"0":1}}"#),
    ] {
        assert_eq!(jmespath_fast(source, text), Ok(None), "{source}");
        assert_eq!(jmespath_general(source, text), Ok(None), "{source}");
    }
}

/// A JMESPath chain: identifiers bare when they can be, else quoted.
fn jmespath() -> impl Strategy<Value = String> {
    let step = prop_oneof![
        name().prop_map(|n| {
            let bare = n.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if bare {
                format!(".{n}")
            } else {
                format!(".{}", Value::from(n))
            }
        }),
        (0usize..3).prop_map(|i| format!("[{i}]")),
    ];
    proptest::collection::vec(step, 0..4).prop_map(|steps| {
        let joined = steps.concat();
        match joined.strip_prefix('.') {
            Some(rest) => rest.to_owned(),
            None if joined.is_empty() => "@".to_owned(),
            None => joined,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_fast_path_gives_what_jmespath_gives(source in jmespath(), text in text()) {
        prop_assert!(jmespath_singular(&source).is_some(), "{}", source);
        let expected = jmespath_general(&source, &text);
        prop_assert_eq!(jmespath_fast(&source, &text), expected, "{} on {}", source, text);
    }

    #[test]
    fn the_fast_path_gives_what_the_general_path_gives(source in path(), text in text()) {
        let expected = general(&source, &text);
        prop_assert_eq!(fast(&source, &text), expected, "{} on {}", source, text);
    }

    #[test]
    fn container_detection_agrees_with_parsing_on_any_text(text in text()) {
        let parsed = matches!(
            serde_json::from_str::<Value>(&text),
            Ok(Value::Object(_) | Value::Array(_))
        );
        prop_assert_eq!(crate::check::is_container(&text), parsed, "{}", text);
    }

    #[test]
    fn every_generated_path_is_singular(source in path()) {
        prop_assert!(SingularPath::of(&source, &compiled(&source)).is_some(), "{}", source);
    }
}
