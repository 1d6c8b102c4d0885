//! Snapshot tests: every output for a hand-built results value, compared
//! exactly with the files under `tests/snapshots/`. Run with
//! `UPDATE_SNAPSHOTS=1` to rewrite them after an intended change, then
//! review the diff.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use sseload_metrics::Histogram;
use sseload_report::{Results, csv, html, json as summary, junit, markdown};

fn histogram(values_ms: &[u64]) -> String {
    let mut h = Histogram::new();
    for v in values_ms {
        h.record(Duration::from_millis(*v));
    }
    h.to_base64()
}

fn line(count: u64, min: f64, p50: f64, p99: f64, max: f64) -> Value {
    json!({"count": count, "rate": count as f64 / 4.0, "min": min, "p50": p50, "p75": p50,
           "p95": p99, "p99": p99, "max": max, "mean": p50})
}

fn point(second: u64, users: i64, events: u64, errors: u64, gap: f64) -> Value {
    json!({
        "second": second, "users": users, "streams": (users - 1).max(0), "arrivals": 2, "events": events,
        "errors": errors, "ok": 3, "ko": errors, "reconnects": errors, "missed": second % 2,
        "latencies": [
            {"metric": "time_to_first_event", "count": 2, "p50_ms": 4.0 + gap / 100.0, "p99_ms": 9.5, "max_ms": 12.0},
            {"metric": "event_gap", "count": events, "p50_ms": gap, "p99_ms": gap * 1.5, "max_ms": gap * 2.0},
            {"metric": "delivery_latency", "count": events, "p50_ms": 2.0, "p99_ms": 7.0 + second as f64, "max_ms": 11.0}
        ]
    })
}

/// A run of 4.25 seconds (the last point repeats second 4 and covers the
/// remaining quarter second, as the engine writes it): two names, an error with markup and CSV specials,
/// a passed, a failed and an unmeasured assertion.
fn results() -> Results {
    let counts = json!({"ok": 10, "ko": 2, "events": 40, "bytes": 2048, "reconnects": 2, "missed": 2,
                        "duplicates": 0, "unmatched": 3, "closed_at_user_end": 1});
    let metrics = json!({"time_to_first_event": line(8, 3.0, 4.5, 9.5, 12.0),
                         "event_gap": line(40, 90.0, 200.0, 300.0, 400.0)});
    let value = json!({
        "meta": {"plan": "snap <demo>", "summary": "snap: 1 scenario", "target": "embedded (http://127.0.0.1:1/)",
                 "started_at_ms": 1_795_275_726_000_u64, "duration_s": 4.25, "ended_by": "completed",
                 "users_started": 8, "engine_version": "0.1.0"},
        "stats": [
            {"scope": "name", "scenario": "watchers", "name": "Stocks", "kind": "request", "counts": counts, "rate": 3.0, "metrics": metrics},
            {"scope": "name", "scenario": "watchers", "name": "snapshot", "kind": "check",
             "counts": {"ok": 8, "ko": 0}, "rate": 2.0, "metrics": {"check_time": line(8, 0.1, 0.2, 0.4, 0.5)}},
            {"scope": "scenario", "scenario": "watchers", "counts": counts, "rate": 5.0, "metrics": metrics},
            {"scope": "global", "counts": counts, "rate": 5.0, "metrics": metrics}
        ],
        "histograms": [
            {"scenario": "watchers", "name": "Stocks", "metric": "time_to_first_event", "clipped": 0,
             "hdr": histogram(&[3, 4, 4, 5, 5, 6, 9, 12])},
            {"scenario": "watchers", "name": "Stocks", "metric": "event_gap", "clipped": 0,
             "hdr": histogram(&(0..40).map(|i| 90 + i * 8).collect::<Vec<_>>())},
            {"scenario": "watchers", "name": "Other", "metric": "event_gap", "clipped": 0,
             "hdr": histogram(&[100, 150, 200])}
        ],
        "errors": [
            {"scenario": "watchers", "name": "Stocks", "kind": "status", "message": "status 503, \"busy\" <retry> | later", "count": 2}
        ],
        "series": [point(1, 3, 8, 0, 200.0), point(2, 5, 10, 1, 210.0), point(3, 7, 12, 1, 190.0), point(4, 8, 10, 0, 205.0), point(4, 0, 2, 0, 195.0)],
        "assertions": [
            {"assertion": "time_to_first_event.p99 (global) < 500 ms", "passed": true, "measured": 9.5, "unit": "ms", "note": null},
            {"assertion": "requests.failed_percent (global) < 1 %", "passed": false, "measured": 16.666666666666668, "unit": "%", "note": null},
            {"assertion": "delivery_latency.p99 (global) < 50 ms", "passed": false, "measured": null, "unit": "ms",
             "note": "no delivery_latency was recorded in this scope"}
        ]
    });
    Results::from_json(&value.to_string()).unwrap()
}

fn snapshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// Compares `actual` with the committed file, or rewrites it under `UPDATE_SNAPSHOTS=1`.
fn check(name: &str, actual: &str) {
    let path = snapshots().join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(snapshots()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_SNAPSHOTS=1 to create it)",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{name} differs from {} (run with UPDATE_SNAPSHOTS=1 and review the diff)\n--- actual ---\n{actual}",
        path.display()
    );
}

#[test]
fn every_chart_svg() {
    let charts = html::charts(&results()).unwrap();
    let ids: Vec<&str> = charts.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "chart-users",
            "chart-arrivals",
            "chart-events",
            "chart-outcomes",
            "chart-errors",
            "chart-stream-health",
            "chart-time_to_first_event-time",
            "chart-event_gap-time",
            "chart-delivery_latency-time",
            "chart-time_to_first_event-distribution",
            "chart-event_gap-distribution",
        ]
    );
    for chart in &charts {
        check(&format!("{}.svg", chart.id), &chart.svg);
    }
}

#[test]
fn html_page() {
    let page = html::render(&results()).unwrap();
    for remote in ["src=", "<link", "url(", "@import", "fetch("] {
        assert!(
            !page.contains(remote),
            "the page must load nothing: found {remote}"
        );
    }
    assert!(page.contains("snap &lt;demo&gt;"));
    check("report.html", &page);
}

#[test]
fn junit_xml() {
    let xml = junit::render(&results());
    assert!(xml.contains("failures=\"2\""));
    assert!(xml.contains("message=\"measured 16.7%\""));
    check("junit.xml", &xml);
}

#[test]
fn markdown_summary() {
    check("summary.md", &markdown::render(&results()));
}

#[test]
fn json_summary() {
    let text = summary::render(&results()).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["passed"], false);
    assert_eq!(value["errors_by_kind"]["status"], 2);
    check("summary.json", &text);
}

#[test]
fn csv_files() {
    let files = csv::files(&results()).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "assertions.csv",
            "stats.csv",
            "latency.csv",
            "errors.csv",
            "series.csv",
            "series_time_to_first_event.csv",
            "series_event_gap.csv",
            "series_delivery_latency.csv",
            "distribution_time_to_first_event.csv",
            "distribution_event_gap.csv",
        ]
    );
    for file in &files {
        check(&format!("csv/{}", file.name), &file.text);
    }
}

#[test]
fn a_histogram_that_does_not_decode_is_named() {
    let mut results = results();
    results.histograms[1].hdr = "not base64!".to_owned();
    let err = html::render(&results).unwrap_err().to_string();
    assert!(err.contains("event_gap of watchers / Stocks"), "{err}");
}

#[test]
fn not_a_results_file_names_the_field_and_line() {
    let err = Results::from_json("{\n  \"meta\": {\"plan\": \"x\"}\n}")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("not a sseload results file"), "{err}");
    assert!(
        err.contains("missing field `started_at_ms`") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn a_run_without_time_series_says_so_and_keeps_its_distributions() {
    let mut results = results();
    results.series.clear();
    let ids: Vec<String> = html::charts(&results)
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(
        ids,
        [
            "chart-time_to_first_event-distribution",
            "chart-event_gap-distribution"
        ]
    );
    let page = html::render(&results).unwrap();
    assert!(
        page.contains("No chart: the results file has no time series"),
        "{page}"
    );
    assert!(
        csv::files(&results)
            .unwrap()
            .iter()
            .any(|f| f.name == "series.csv")
    );
}

#[test]
fn a_metric_missing_from_the_series_gets_a_notice_not_a_chart() {
    let mut results = results();
    for p in &mut results.series {
        p.latencies.retain(|l| l.metric != "delivery_latency");
        p.reconnects = None;
        p.missed = None;
    }
    let page = html::render(&results).unwrap();
    assert!(page.contains("No chart: no delivery_latency was recorded in this run."));
    assert!(page.contains(
        "No chart: this results file has no per-second reconnect or missed-id counts; run totals: 2 reconnects, 2 missed ids."
    ));
    assert!(!page.contains("id=\"chart-delivery_latency-time\""));
}
