//! The page: header with the verdict, run summary, assertions, statistics,
//! charts over time, distributions, errors.

use crate::distribution::Distribution;
use crate::escape::markup;
use crate::html::charts::{self, Slot};
use crate::html::{svg, tables};
use crate::results::Results;
use crate::table;
use crate::units::{bytes, number, utc};

const CSS: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// The whole document.
pub(crate) fn page(results: &Results, distributions: &[Distribution]) -> String {
    let title = markup(&results.meta.plan);
    [
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>sseload report: {title}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n"
        ),
        header(results),
        "<main>\n".to_owned(),
        summary(results),
        section("assertions", "Assertions", &tables::render(&table::assertions(results))),
        statistics(results),
        section("timeline", "The run over time", &slots(&charts::timeline(results))),
        distribution_section(distributions),
        section("errors", "Errors", &tables::render(&table::errors(results))),
        "</main>\n".to_owned(),
        format!(
            "<footer>Made by sseload-report {} from a results file of sseload-engine {}.</footer>\n",
            env!("CARGO_PKG_VERSION"),
            markup(&results.meta.engine_version)
        ),
        "<div id=\"report-check\" class=\"check\" data-status=\"pending\">REPORT-CHECK-PENDING</div>\n".to_owned(),
        format!("<script>\n{SCRIPT}</script>\n</body>\n</html>\n"),
    ]
    .concat()
}

fn section(id: &str, title: &str, body: &str) -> String {
    format!("<section id=\"{id}\">\n<h2>{title}</h2>\n{body}</section>\n")
}

fn header(results: &Results) -> String {
    let m = &results.meta;
    let n = results.assertions.len();
    let failed = results.assertions.iter().filter(|a| !a.passed).count();
    let verdict = match (n, failed) {
        (0, _) => "<span class=\"verdict none\">No assertions</span>".to_owned(),
        (n, 0) => format!("<span class=\"verdict pass\">PASS: all {n} assertions held</span>"),
        (n, f) => format!("<span class=\"verdict fail\">FAIL: {f} of {n} assertions failed</span>"),
    };
    let nav = [
        "summary",
        "assertions",
        "statistics",
        "timeline",
        "distributions",
        "errors",
    ]
    .map(|id| format!("<a href=\"#{id}\">{id}</a>"))
    .concat();
    format!(
        "<header>\n<h1>{}</h1>\n<p class=\"sub\">{}</p>\n{verdict}\n<nav>{nav}</nav>\n</header>\n",
        markup(&m.plan),
        markup(&m.summary)
    )
}

fn summary(results: &Results) -> String {
    let m = &results.meta;
    let mut facts = vec![
        ("target", m.target.clone()),
        ("started", utc(m.started_at_ms)),
        ("duration", format!("{} s", number(m.duration_s))),
        ("ended by", m.ended_by.clone()),
        ("users started", m.users_started.to_string()),
    ];
    if let Some(shards) = m.shards_text() {
        facts.push(("shards", shards));
    }
    let dl: String = facts
        .iter()
        .map(|(k, v)| format!("<dt>{k}</dt><dd>{}</dd>", markup(v)))
        .collect();
    let body = format!("<dl class=\"meta\">{dl}</dl>\n{}", tiles(results));
    section("summary", "Run summary", &body)
}

fn tiles(results: &Results) -> String {
    let Some(g) = results.global() else {
        return String::new();
    };
    let c = &g.counts;
    let seconds = results.meta.duration_s.max(1e-9);
    let p99 = |metric: &str| {
        g.metrics
            .get(metric)
            .map_or_else(|| "—".to_owned(), |l| format!("{} ms", number(l.p99)))
    };
    let errors: u64 = results.errors.iter().map(|e| e.count).sum();
    let items = [
        (number(c.ok as f64), "requests and checks OK".to_owned()),
        (
            number(c.ko as f64),
            format!("KO ({}%)", number(c.ko_percent())),
        ),
        (
            number(c.events as f64),
            format!("events ({} /s)", number(c.events as f64 / seconds)),
        ),
        (bytes(c.bytes), "event data".to_owned()),
        (errors.to_string(), "errors".to_owned()),
        (c.reconnects.to_string(), "reconnects".to_owned()),
        (c.missed.to_string(), "missed ids".to_owned()),
        (
            p99("time_to_first_event"),
            "time to first event p99".to_owned(),
        ),
        (p99("event_gap"), "event gap p99".to_owned()),
        (p99("delivery_latency"), "delivery latency p99".to_owned()),
    ];
    let tiles: String = items
        .iter()
        .map(|(v, k)| {
            format!(
                "<div class=\"tile\"><b>{}</b><span>{}</span></div>",
                markup(v),
                markup(k)
            )
        })
        .collect();
    format!("<div class=\"tiles\">{tiles}</div>\n")
}

fn statistics(results: &Results) -> String {
    let body = format!(
        "<h3>Counts</h3>\n{}<h3>Durations (milliseconds)</h3>\n{}",
        tables::render(&table::stats(results)),
        tables::render(&table::latency(results))
    );
    section("statistics", "Statistics per name", &body)
}

fn slots(slots: &[Slot]) -> String {
    let figures: String = slots.iter().map(figure).collect();
    format!("<div class=\"charts\">\n{figures}</div>\n")
}

fn figure(slot: &Slot) -> String {
    match slot {
        Slot::Plot(plot) => format!(
            "<figure>\n<figcaption>{}</figcaption>\n{}</figure>\n",
            markup(&plot.title),
            svg::render(plot)
        ),
        Slot::Empty { title, reason } => format!(
            "<figure>\n<figcaption>{}</figcaption>\n<p class=\"empty\">No chart: {}.</p>\n</figure>\n",
            markup(title),
            markup(reason)
        ),
    }
}

fn distribution_section(distributions: &[Distribution]) -> String {
    let plots = charts::distribution_plots(distributions);
    let body = if plots.is_empty() {
        "<p class=\"empty\">No durations were recorded.</p>\n".to_owned()
    } else {
        let intro = "<p class=\"sub\">Percentile curves from the exact merge of the HDR histograms; \
                     the horizontal axis is logarithmic toward the tail (p90, p99, p99.9…).</p>\n";
        let figures: Vec<Slot> = plots.into_iter().map(Slot::Plot).collect();
        format!("{intro}{}", slots(&figures))
    };
    section("distributions", "Latency distributions", &body)
}
