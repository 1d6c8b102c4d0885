//! Each kind of invalid input, with its exact message, position and hint.

use crate::support::errors;

#[test]
fn an_unknown_key_is_named_with_the_keys_allowed() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps:
      - sse_connect: { name: c, url: /x, timout: 5s }
"##;
    let expected = r##"error: unknown key `timout`
 --> <string>:6:42
  |
6 |       - sse_connect: { name: c, url: /x, timout: 5s }
  |                                          ^
  = hint: expected one of `name`, `stream`, `method`, `url`, `query`, `headers`, `body`, `await`, `unmatched`, `timestamp`, `sequence`, `reconnect`
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn an_unknown_step_kind_lists_the_kinds() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps:
      - sse_conect: { name: c, url: /x }
"##;
    let expected = r##"error: unknown kind `sse_conect`
 --> <string>:6:9
  |
6 |       - sse_conect: { name: c, url: /x }
  |         ^
  = hint: expected one of `http`, `sse_connect`, `sse_await`, `sse_listen`, `sse_close`, `pause`, `pace`, `repeat`, `during`, `forever`, `as_long_as`, `group`, `exit_here_if_failed`, `try_max`, `random_choice`, `feed`, `set`
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn a_wrong_type_says_what_was_expected() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    load: [{at_once_users: many}]
    steps: []
"##;
    let expected = r##"error: expected a whole number, found string "many"
 --> <string>:4:28
  |
4 |     load: [{at_once_users: many}]
  |                            ^
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn a_malformed_duration_shows_the_syntax() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    load: [{ramp_users: {users: 3, during: 10 seconds}}]
    steps: []
"##;
    let expected = r##"error: invalid duration `10 seconds`
 --> <string>:4:44
  |
4 |     load: [{ramp_users: {users: 3, during: 10 seconds}}]
  |                                            ^
  = hint: write a number and a unit, such as 250ms, 10s, 1m30s or 2h (units: ns, us, ms, s, m, h)
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn a_negative_rate_is_refused() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    load: [{constant_users_per_sec: {rate: -2, during: 5s}}]
    steps: []
"##;
    let expected = r##"error: `rate` must be above 0, found -2
 --> <string>:4:44
  |
4 |     load: [{constant_users_per_sec: {rate: -2, during: 5s}}]
  |                                            ^
  = hint: a positive number, such as 0.5, 20 or 1000
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn an_await_on_a_stream_nothing_connects() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps:
      - sse_connect: { name: c, stream: prices, url: /x }
      - sse_await:
          stream: price
          await: [{timeout: 1s, checks: [{name: k}]}]
"##;
    let expected = r##"error: sse_await on stream `price`, which no sse_connect in scenario `s` opens
 --> <string>:8:19
  |
8 |           stream: price
  |                   ^
  = hint: streams connected in scenario `s`: `prices`; name the stream with `stream:` on sse_connect
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn a_feed_from_an_undefined_feeder() {
    let yaml = r##"target: embedded
feeders:
  users: { inline: [{id: 1}] }
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps:
      - feed: user
"##;
    let expected = r##"error: undefined feeder `user`
 --> <string>:8:15
  |
8 |       - feed: user
  |               ^
  = hint: feeders defined under `feeders:`: `users`
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn a_variable_no_step_sets() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps:
      - http: { name: h, url: '/users/#{user_id}', checks: [{json_path: '$.id', save_as: userid}] }
"##;
    let expected = r##"error: session variable `user_id` is never set in scenario `s`
 --> <string>:6:31
  |
6 |       - http: { name: h, url: '/users/#{user_id}', checks: [{json_path: '$.id', save_as: userid}] }
  |                               ^
  = hint: set it with save_as, feed, set or a loop counter, or declare it under the plan's `vars:`; variables set in this scenario: `userid`
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn an_invalid_json_path() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps:
      - sse_connect: { name: c, url: /x, await: [{timeout: 1s, checks: [{name: k, check: {json_path: '$.a[', save_as: a}}]}] }
"##;
    let expected = r##"error: invalid JSON Path `$.a[`: at position 3, parser error
 --> <string>:6:102
  |
6 |       - sse_connect: { name: c, url: /x, await: [{timeout: 1s, checks: [{name: k, check: {json_path: '$.a[', save_as: a}}]}] }
  |                                                                                                      ^
  = hint: JSON Path as in RFC 9535, such as `$.price` or `$[0].items[*].id`
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn an_invalid_regex() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps:
      - sse_connect: { name: c, url: /x, await: [{timeout: 1s, checks: [{name: k, check: {regex: '(unclosed'}}]}] }
"##;
    let expected = r##"error: invalid regex `(unclosed`: unclosed group
 --> <string>:6:98
  |
6 |       - sse_connect: { name: c, url: /x, await: [{timeout: 1s, checks: [{name: k, check: {regex: '(unclosed'}}]}] }
  |                                                                                                  ^
  = hint: the syntax of Rust's regex crate; in double-quoted YAML, write `\\d` for `\d`, or use single quotes
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn an_invalid_jmespath() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps:
      - sse_connect: { name: c, url: /x, await: [{timeout: 1s, checks: [{name: k, check: {jmes_path: 'a[?'}}]}] }
"##;
    let expected = r##"error: invalid JMESPath `a[?`: Parse error: Unexpected nud token -- found Eof (line 0, column 3)
 --> <string>:6:102
  |
6 |       - sse_connect: { name: c, url: /x, await: [{timeout: 1s, checks: [{name: k, check: {jmes_path: 'a[?'}}]}] }
  |                                                                                                      ^
  = hint: JMESPath as on jmespath.org, such as `items[0].id` or `[?symbol=='AAPL'].price`
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn an_unclosed_template() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps:
      - http: { name: h, url: '/x/#{id' }
"##;
    let expected = r##"error: unclosed `#{` in `/x/#{id`
 --> <string>:6:31
  |
6 |       - http: { name: h, url: '/x/#{id' }
  |                               ^
  = hint: write #{name}, #{name.key}, #{name(0)}, #{name.size()} or #{randomUuid()}; \#{ writes a literal #{
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn structural_and_semantic_errors_together() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    load:
      - constant_users_per_sec: {rate: 0, during: 5s}
      - constant_concurrent_users: {users: 3, during: 5s}
    steps:
      - pause: forever
      - sse_close: { stream: x }
      - http: { name: h, url: 'relative' }
assertions:
  - { metric: latency.p99, lt: 1s }
  - { metric: time_to_first_event.p99, lt: 500 }
  - { metric: events.p99, lt: 5 }
  - { metric: checks.failed_percent, request: nope, lt: 1 }
"##;
    let expected = r##"error: `rate` must be above 0, found 0
 --> <string>:5:40
  |
5 |       - constant_users_per_sec: {rate: 0, during: 5s}
  |                                        ^
  = hint: a positive number, such as 0.5, 20 or 1000

error: open-model and closed-model load steps are mixed in one scenario
 --> <string>:6:9
  |
6 |       - constant_concurrent_users: {users: 3, during: 5s}
  |         ^
  = hint: open steps (at_once_users, ramp_users, constant_users_per_sec, ramp_users_per_sec, stress_peak_users, nothing_for) and closed steps (constant_concurrent_users, ramp_concurrent_users) cannot be combined; split them into two scenarios

error: invalid duration `forever`
 --> <string>:8:16
  |
8 |       - pause: forever
  |                ^
  = hint: write a number and a unit, such as 250ms, 10s, 1m30s or 2h (units: ns, us, ms, s, m, h)

error: URL `relative` is neither absolute nor a path
  --> <string>:10:31
   |
10 |       - http: { name: h, url: 'relative' }
   |                               ^
   = hint: start it with `/` (relative to the target) or `http(s)://`

error: unknown metric `latency`
  --> <string>:12:15
   |
12 |   - { metric: latency.p99, lt: 1s }
   |               ^
   = hint: metrics: `check_time`, `checks`, `connect_time`, `delivery_latency`, `duplicate_events`, `event_gap`, `events`, `missed_events`, `reconnect_gap`, `reconnects`, `requests`, `response_time`, `time_to_first_event` and `unmatched_events`

error: `500` has no unit
  --> <string>:13:44
   |
13 |   - { metric: time_to_first_event.p99, lt: 500 }
   |                                            ^
   = hint: this statistic is a duration: write 500ms or 500s

error: `events` is a count, not a duration
  --> <string>:14:15
   |
14 |   - { metric: events.p99, lt: 5 }
   |               ^
   = hint: use count or rate
7 errors in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn a_yaml_syntax_error() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    load: [{at_once_users: 1}
"##;
    let expected = r##"error: invalid YAML: unclosed bracket '[' at line 4, column 11
 --> <string>:4:11
  |
4 |     load: [{at_once_users: 1}
  |           ^
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn a_missing_key() {
    let yaml = r##"target: embedded
scenarios:
  - load: [{at_once_users: 1}]
    steps: []
"##;
    let expected = r##"error: missing key `name`
 --> <string>:3:5
  |
3 |   - load: [{at_once_users: 1}]
  |     ^
  = hint: add `name:` to this mapping
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn a_scenario_without_load() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    steps: []
"##;
    let expected = r##"error: scenario `s` has no load
 --> <string>:3:11
  |
3 |   - name: s
  |           ^
  = hint: add `load:` with steps such as `- ramp_users: {users: 10, during: 30s}`, or use a top-level `population:`
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn two_step_kinds_in_one_item() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps:
      - pause: 1s
        repeat: {times: 2, steps: []}
"##;
    let expected = r##"error: expected exactly one kind, found 2 keys
 --> <string>:6:9
  |
6 |       - pause: 1s
  |         ^
  = hint: write each as its own list item; expected one of `http`, `sse_connect`, `sse_await`, `sse_listen`, `sse_close`, `pause`, `pace`, `repeat`, `during`, `forever`, `as_long_as`, `group`, `exit_here_if_failed`, `try_max`, `random_choice`, `feed`, `set`
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn check_mistakes() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps:
      - sse_connect:
          name: c
          url: /x
          await:
            - timeout: 1s
              checks:
                - name: a
                  check: { status: 200 }
                - name: b
                  matching: { event: x, save_as: y }
                - name: c
                  check: { json_path: '$.a', is: 1, gt: 2 }
                - name: d
                  check: { regex: 'a(b)', group: 2 }
                - name: e
                  check: { save_as: z }
"##;
    let expected = r##"error: `status` applies to HTTP responses, not to events
  --> <string>:13:36
   |
13 |                   check: { status: 200 }
   |                                    ^

error: `save_as` in `matching`
  --> <string>:15:50
   |
15 |                   matching: { event: x, save_as: y }
   |                                                  ^
   = hint: a matching criterion only filters; save values in `check`

error: a check has one validator, found `gt` and `is`
  --> <string>:17:26
   |
17 |                   check: { json_path: '$.a', is: 1, gt: 2 }
   |                          ^
   = hint: write one check for each (lt/lte and gt/gte may be combined as a range)

error: `group: 2` but the regex has 1 capture group
  --> <string>:19:50
   |
19 |                   check: { regex: 'a(b)', group: 2 }
   |                                                  ^

error: a check has nothing to look at
  --> <string>:21:26
   |
21 |                   check: { save_as: z }
   |                          ^
   = hint: add one of `field`, `json_path`, `jmes_path`, `regex`, `substring`, `header`, or a short form `event`, `id`, `data`, `status`
5 errors in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn a_listener_that_never_stops() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps:
      - sse_connect: { name: c, url: /x }
      - sse_listen: { name: l }
"##;
    let expected = r##"error: `sse_listen` never stops
 --> <string>:7:9
  |
7 |       - sse_listen: { name: l }
  |         ^
  = hint: give `during` (a duration), `until` (a number of events), or both
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn a_base_url_that_is_not_http() {
    let yaml = r##"target: { base_url: 'ftp://x' }
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps: []
"##;
    let expected = r##"error: base URL `ftp://x` must use http or https
 --> <string>:1:21
  |
1 | target: { base_url: 'ftp://x' }
  |                     ^
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn a_missing_feeder_file() {
    let yaml = r##"target: embedded
feeders:
  users: { csv: missing.csv }
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps: []
"##;
    let expected = r##"error: cannot read CSV feeder `./missing.csv`: No such file or directory (os error 2)
 --> <string>:3:17
  |
3 |   users: { csv: missing.csv }
  |                 ^
  = hint: relative file names are relative to the scenario file
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn every_reference_error_at_once() {
    let yaml = r##"target: embedded
feeders:
  users: { inline: [{id: 1}] }
scenarios:
  - name: s
    load: [{constant_users_per_sec: {rate: -1, during: 1m}}]
    steps:
      - feed: user
      - sse_connect: { name: c, stream: prices, url: '/x/#{token}' }
      - sse_await:
          stream: price
          await: [{timeout: 1s, checks: [{name: k, check: {json_path: '$[', save_as: v}}, {name: m, check: {regex: '(x'}}]}]
      - sse_close: { stream: prices }
assertions:
  - { metric: checks.failed_percent, request: nope, lt: 1 }
"##;
    let expected = r##"error: `rate` must be above 0, found -1
 --> <string>:6:44
  |
6 |     load: [{constant_users_per_sec: {rate: -1, during: 1m}}]
  |                                            ^
  = hint: a positive number, such as 0.5, 20 or 1000

error: undefined feeder `user`
 --> <string>:8:15
  |
8 |       - feed: user
  |               ^
  = hint: feeders defined under `feeders:`: `users`

error: session variable `token` is never set in scenario `s`
 --> <string>:9:54
  |
9 |       - sse_connect: { name: c, stream: prices, url: '/x/#{token}' }
  |                                                      ^
  = hint: set it with save_as, feed, set or a loop counter, or declare it under the plan's `vars:`; variables set in this scenario: none

error: sse_await on stream `price`, which no sse_connect in scenario `s` opens
  --> <string>:11:19
   |
11 |           stream: price
   |                   ^
   = hint: streams connected in scenario `s`: `prices`; name the stream with `stream:` on sse_connect

error: invalid JSON Path `$[`: at position 1, parser error
  --> <string>:12:71
   |
12 |           await: [{timeout: 1s, checks: [{name: k, check: {json_path: '$[', save_as: v}}, {name: m, check: {regex: '(x'}}]}]
   |                                                                       ^
   = hint: JSON Path as in RFC 9535, such as `$.price` or `$[0].items[*].id`

error: invalid regex `(x`: unclosed group
  --> <string>:12:116
   |
12 |           await: [{timeout: 1s, checks: [{name: k, check: {json_path: '$[', save_as: v}}, {name: m, check: {regex: '(x'}}]}]
   |                                                                                                                    ^
   = hint: the syntax of Rust's regex crate; in double-quoted YAML, write `\\d` for `\d`, or use single quotes

error: no request is named `nope`
  --> <string>:15:47
   |
15 |   - { metric: checks.failed_percent, request: nope, lt: 1 }
   |                                               ^
   = hint: request names in this file: `c`, `k`, `m` and `prices`
7 errors in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn locust_keys_without_a_population() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    weight: 2
    load: [{at_once_users: 1}]
    steps: []
"##;
    let expected = r##"error: `weight` needs a top-level `population`
 --> <string>:4:13
  |
4 |     weight: 2
  |             ^
  = hint: Locust-style weights and waits apply to a shared population
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn an_empty_scenario_says_so() {
    for yaml in ["", "\n  \n", "# nothing yet\n---\n"] {
        let expected = r##"error: the scenario is empty
 --> <string>
  = hint: a scenario needs at least `target:` and `scenarios:`
1 error in <string>"##;
        assert_eq!(errors(yaml), expected, "{yaml:?}");
    }
}

#[test]
fn a_document_that_is_not_a_mapping() {
    let expected = r##"error: expected a mapping, found a string
 --> <string>:1:1
  |
1 | just a sentence
  | ^
1 error in <string>"##;
    assert_eq!(errors("just a sentence\n"), expected);
}

#[test]
fn a_duplicate_key_is_named() {
    let yaml = r##"target: embedded
target: embedded
scenarios: []
"##;
    let expected = r##"error: invalid YAML: duplicate key `target`
 --> <string>:2:1
  |
2 | target: embedded
  | ^
  = hint: a key may appear only once in a mapping; keep one of them
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn a_file_that_is_not_utf8_points_at_the_first_bad_byte() {
    let path = std::env::temp_dir().join(format!("sseload-not-utf8-{}.yaml", std::process::id()));
    std::fs::write(&path, b"name: a\ntarget: \xc3\x28 embedded\n").unwrap();
    let err = sseload_scenario::from_path(&path).unwrap_err();
    let _ = std::fs::remove_file(&path);
    let shown = path.display();
    let expected = format!(
        "error: the file is not UTF-8 text: invalid byte 0xc3
 --> {shown}:2:9
  |
2 | target: \u{fffd}( embedded
  |         ^
  = hint: scenario files are UTF-8 text (YAML); save it as UTF-8
1 error in {shown}"
    );
    assert_eq!(err.to_string(), expected);
}

#[test]
fn a_missing_file_or_a_directory_cannot_be_read() {
    let missing = sseload_scenario::from_path("/nonexistent/scenario.yaml").unwrap_err();
    assert_eq!(
        missing.to_string(),
        "cannot read scenario file /nonexistent/scenario.yaml"
    );
    let source = std::error::Error::source(&missing).unwrap().to_string();
    assert!(source.starts_with("No such file or directory"), "{source}");
    let dir = std::env::temp_dir();
    let directory = sseload_scenario::from_path(&dir).unwrap_err();
    assert_eq!(
        directory.to_string(),
        format!("cannot read scenario file {}", dir.display())
    );
}

#[test]
fn bad_base_url_hosts_and_ports() {
    let yaml = r##"target: { base_urls: ["http://:80/", "http://h:99999/", "https://"] }
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps: []
"##;
    let expected = r##"error: invalid base URL `http://:80/`: empty host
 --> <string>:1:23
  |
1 | target: { base_urls: ["http://:80/", "http://h:99999/", "https://"] }
  |                       ^
  = hint: write a full URL such as http://127.0.0.1:8080

error: invalid base URL `http://h:99999/`: invalid port number
 --> <string>:1:38
  |
1 | target: { base_urls: ["http://:80/", "http://h:99999/", "https://"] }
  |                                      ^
  = hint: write a full URL such as http://127.0.0.1:8080

error: invalid base URL `https://`: empty host
 --> <string>:1:57
  |
1 | target: { base_urls: ["http://:80/", "http://h:99999/", "https://"] }
  |                                                         ^
  = hint: write a full URL such as http://127.0.0.1:8080
3 errors in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn bad_step_urls_scheme_port_and_host() {
    let yaml = r##"target: embedded
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps:
      - http: { name: a, url: "ftp://h/x" }
      - sse_connect: { name: b, url: "http://h:70000/x" }
      - http: { name: c, url: "http://[::1/x" }
"##;
    let expected = r##"error: URL `ftp://h/x` is neither absolute nor a path
 --> <string>:6:31
  |
6 |       - http: { name: a, url: "ftp://h/x" }
  |                               ^
  = hint: start it with `/` (relative to the target) or `http(s)://`

error: invalid URL `http://h:70000/x`: invalid port number
 --> <string>:7:38
  |
7 |       - sse_connect: { name: b, url: "http://h:70000/x" }
  |                                      ^
  = hint: such as http://127.0.0.1:8080/stream

error: invalid URL `http://[::1/x`: invalid IPv6 address
 --> <string>:8:31
  |
8 |       - http: { name: c, url: "http://[::1/x" }
  |                               ^
  = hint: such as http://127.0.0.1:8080/stream
3 errors in <string>"##;
    assert_eq!(errors(yaml), expected);
}
