//! `sseload run --metrics-addr ADDR`: serves `GET /metrics` in the
//! OpenMetrics text format while the run goes on. Every scrape merges the
//! engine's shards once ([`Live::snapshot`]); label sets stay bounded
//! (scenario and name come from the plan).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use sseload_engine::{Buckets, Counts, Live, LiveName, LiveSnapshot, NameKind};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The content type of the OpenMetrics text format.
pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The histogram bucket upper bounds, in seconds (`+Inf` is added).
const BOUNDS: [f64; 17] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 45.0,
    60.0,
];

/// Binds `--metrics-addr` before the run starts, naming the address on failure.
pub(crate) async fn bind(text: &str) -> anyhow::Result<TcpListener> {
    let addr: SocketAddr = text.parse().map_err(|_| {
        anyhow::anyhow!(
            "--metrics-addr {text:?}: not an address (expected IP:PORT, e.g. 127.0.0.1:9464)"
        )
    })?;
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("--metrics-addr {addr}: cannot listen"))
}

/// Answers scrapes until the returned task is aborted.
pub(crate) fn serve(listener: TcpListener, live: Live) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let live = live.clone();
            let service = hyper::service::service_fn(move |req| {
                let answer = answer(&req, &live);
                async move { Ok::<_, std::convert::Infallible>(answer) }
            });
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

fn answer<B>(req: &Request<B>, live: &Live) -> Response<Full<Bytes>> {
    let (status, content_type, body) = match (req.method(), req.uri().path()) {
        (&Method::GET, "/metrics") => (StatusCode::OK, CONTENT_TYPE, render(&snapshot(live))),
        (_, "/metrics") => (
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "GET only\n".into(),
        ),
        _ => (StatusCode::NOT_FOUND, "text/plain", "see /metrics\n".into()),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(value) = http::HeaderValue::from_str(content_type) {
        response
            .headers_mut()
            .insert(http::header::CONTENT_TYPE, value);
    }
    response
}

fn snapshot(live: &Live) -> LiveSnapshot {
    let bounds: Vec<Duration> = BOUNDS.iter().map(|s| Duration::from_secs_f64(*s)).collect();
    live.snapshot(&bounds)
}

/// A counter family: its name after `sseload_`, its help, its count.
type Counter = (&'static str, &'static str, fn(&Counts) -> u64);

/// The OpenMetrics text of a snapshot, ending with `# EOF`.
pub(crate) fn render(s: &LiveSnapshot) -> String {
    let mut out = String::new();
    let names: Vec<&LiveName> = s
        .names
        .iter()
        .filter(|n| n.name.kind != NameKind::Scenario)
        .collect();
    family(
        &mut out,
        "sseload_requests",
        "counter",
        "Requests and checks that passed (ok) or failed (ko).",
    );
    for n in &names {
        for (outcome, value) in [("ok", n.counts.ok), ("ko", n.counts.ko)] {
            let labels = format!("{},outcome=\"{outcome}\"", name_labels(n));
            sample(&mut out, "sseload_requests_total", &labels, value);
        }
    }
    let counters: [Counter; 5] = [
        (
            "events",
            "Events dispatched on streams opened under the connect name.",
            |c| c.events,
        ),
        ("event_bytes", "UTF-8 bytes of those events' data.", |c| {
            c.bytes
        }),
        ("reconnects", "Reconnection attempts.", |c| c.reconnects),
        ("missed_ids", "Sequence numbers skipped.", |c| c.missed),
        (
            "duplicate_ids",
            "Sequence numbers that did not move forward.",
            |c| c.duplicates,
        ),
    ];
    for (name, help, value) in counters {
        let family_name = format!("sseload_{name}");
        family(&mut out, &family_name, "counter", help);
        for n in &names {
            sample(
                &mut out,
                &format!("{family_name}_total"),
                &name_labels(n),
                value(&n.counts),
            );
        }
    }
    errors(&mut out, s);
    family(&mut out, "sseload_users", "gauge", "Users running.");
    sample(&mut out, "sseload_users", "", s.users);
    family(&mut out, "sseload_streams", "gauge", "Streams connected.");
    sample(&mut out, "sseload_streams", "", s.streams);
    histograms(&mut out, &names);
    out.push_str("# EOF\n");
    out
}

fn errors(out: &mut String, s: &LiveSnapshot) {
    let mut by_kind: BTreeMap<(&str, &str, &str), u64> = BTreeMap::new();
    for e in &s.errors {
        *by_kind
            .entry((&e.scenario, &e.name, e.kind.name()))
            .or_default() += e.count;
    }
    family(out, "sseload_errors", "counter", "Errors, by kind.");
    for ((scenario, name, kind), count) in by_kind {
        let labels = format!(
            "scenario=\"{}\",name=\"{}\",kind=\"{kind}\"",
            escape(scenario),
            escape(name)
        );
        sample(out, "sseload_errors_total", &labels, count);
    }
}

fn histograms(out: &mut String, names: &[&LiveName]) {
    let mut by_metric: BTreeMap<&str, Vec<(&LiveName, &Buckets)>> = BTreeMap::new();
    for n in names {
        for b in &n.metrics {
            by_metric.entry(b.metric).or_default().push((n, b));
        }
    }
    for (metric, entries) in by_metric {
        let family_name = format!("sseload_{metric}_seconds");
        family(
            out,
            &family_name,
            "histogram",
            &format!("{metric}, in seconds (see docs/metrics.md)."),
        );
        for (n, b) in entries {
            let labels = name_labels(n);
            for (bound, count) in BOUNDS.iter().zip(&b.at_or_below) {
                let le = format!("{labels},le=\"{}\"", float(*bound));
                sample(out, &format!("{family_name}_bucket"), &le, count);
            }
            let inf = format!("{labels},le=\"+Inf\"");
            sample(out, &format!("{family_name}_bucket"), &inf, b.count);
            sample(out, &format!("{family_name}_count"), &labels, b.count);
            let sum = float(b.sum.as_secs_f64());
            sample(out, &format!("{family_name}_sum"), &labels, sum);
        }
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# TYPE {name} {kind}");
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
}

fn sample(out: &mut String, name: &str, labels: &str, value: impl std::fmt::Display) {
    if labels.is_empty() {
        let _ = writeln!(out, "{name} {value}");
    } else {
        let _ = writeln!(out, "{name}{{{labels}}} {value}");
    }
}

/// `scenario` and `name` (with its group path), escaped.
fn name_labels(n: &LiveName) -> String {
    let name = match &n.name.group {
        Some(group) => format!("{group} / {}", n.name.name),
        None => n.name.name.clone(),
    };
    let kind = match n.name.kind {
        NameKind::Check => "check",
        _ => "request",
    };
    format!(
        "scenario=\"{}\",name=\"{}\",kind=\"{kind}\"",
        escape(&n.name.scenario),
        escape(&name)
    )
}

/// A float as OpenMetrics writes it (always with a decimal point or exponent).
fn float(value: f64) -> String {
    let text = format!("{value}");
    if text.contains(['.', 'e', 'E']) {
        text
    } else {
        format!("{text}.0")
    }
}

/// A label value: backslash, double quote and line feed escaped.
pub(crate) fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// HELP text: backslash and line feed escaped.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sseload_engine::Name;

    fn snapshot() -> LiveSnapshot {
        let name = Name {
            scenario: "say \"hi\"".into(),
            name: "a\\b\nc".into(),
            kind: NameKind::Request,
            group: None,
        };
        let counts = Counts {
            ok: 3,
            ko: 1,
            events: 7,
            ..Counts::default()
        };
        let mut at_or_below = vec![0; BOUNDS.len()];
        at_or_below[3..].iter_mut().for_each(|c| *c = 2);
        at_or_below[10..].iter_mut().for_each(|c| *c = 4);
        let buckets = Buckets {
            metric: "response_time",
            at_or_below,
            count: 5,
            sum: Duration::from_millis(12_500),
        };
        LiveSnapshot {
            users: 2,
            streams: 1,
            names: vec![LiveName {
                name,
                counts,
                metrics: vec![buckets],
            }],
            errors: Vec::new(),
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        let text = render(&snapshot());
        let line = "sseload_requests_total{scenario=\"say \\\"hi\\\"\",name=\"a\\\\b\\nc\",kind=\"request\",outcome=\"ok\"} 3";
        assert!(text.lines().any(|l| l == line), "{text}");
    }

    #[test]
    fn buckets_are_cumulative_and_inf_equals_count() {
        let text = render(&snapshot());
        let buckets: Vec<(String, u64)> = text
            .lines()
            .filter(|l| l.starts_with("sseload_response_time_seconds_bucket"))
            .map(|l| {
                let le = l.split("le=\"").nth(1).unwrap().split('"').next().unwrap();
                (
                    le.to_owned(),
                    l.rsplit(' ').next().unwrap().parse().unwrap(),
                )
            })
            .collect();
        assert_eq!(buckets.len(), BOUNDS.len() + 1);
        assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "{buckets:?}");
        assert_eq!(buckets[0], ("0.001".to_owned(), 0));
        assert_eq!(buckets[9], ("1.0".to_owned(), 2));
        assert_eq!(buckets.last().unwrap(), &("+Inf".to_owned(), 5));
        assert!(text.contains("\nsseload_response_time_seconds_count{scenario="));
        assert!(
            text.lines()
                .any(|l| l.starts_with("sseload_response_time_seconds_count") && l.ends_with(" 5"))
        );
        assert!(text.lines().any(|l| l.starts_with("sseload_response_time_seconds_sum") && l.ends_with(" 12.5")));
    }

    #[test]
    fn families_are_typed_and_the_text_ends_with_eof() {
        let text = render(&snapshot());
        assert!(text.ends_with("# EOF\n"), "{text}");
        assert!(text.contains("# TYPE sseload_events counter\n"));
        assert!(
            text.contains("# TYPE sseload_users gauge\nsseload_users 2\n")
                || text.contains("sseload_users 2\n")
        );
        assert!(text.contains("# TYPE sseload_response_time_seconds histogram\n"));
        assert_eq!(float(60.0), "60.0");
        assert_eq!(float(0.0025), "0.0025");
    }
}
