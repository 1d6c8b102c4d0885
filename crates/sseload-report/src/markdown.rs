//! A Markdown summary for a CI job page (GitHub's `$GITHUB_STEP_SUMMARY`,
//! GitLab, …): verdict, assertions, per-name key figures and the top errors.

use crate::Results;
use crate::results::Stats;
use crate::units::{bytes, number};

/// How many error lines the summary lists.
const TOP_ERRORS: usize = 10;

/// The Markdown document.
pub fn render(results: &Results) -> String {
    [
        heading(results),
        assertions(results),
        statistics(results),
        errors(results),
    ]
    .concat()
}

fn heading(results: &Results) -> String {
    let m = &results.meta;
    let failed = results.assertions.iter().filter(|a| !a.passed).count();
    let verdict = match (results.assertions.len(), failed) {
        (0, _) => "no assertions".to_owned(),
        (n, 0) => format!("PASS, {n} of {n} assertions held"),
        (n, f) => format!("FAIL, {f} of {n} assertions failed"),
    };
    let mut out = format!("## sseload: {} ({verdict})\n\n", cell(&m.plan));
    if !m.summary.is_empty() {
        out.push_str(&format!("{}\n\n", cell(&m.summary)));
    }
    out.push_str(&format!(
        "Target {}, {} s, {} users started, ended by {}.\n\n",
        cell(&m.target),
        number(m.duration_s),
        m.users_started,
        cell(&m.ended_by)
    ));
    if let Some(shards) = m.shards_text() {
        out.push_str(&format!("Merged from {}.\n\n", cell(&shards)));
    }
    out
}

fn assertions(results: &Results) -> String {
    if results.assertions.is_empty() {
        return String::new();
    }
    let mut out =
        "### Assertions\n\n| result | assertion | measured |\n| --- | --- | ---: |\n".to_owned();
    for a in &results.assertions {
        let result = if a.passed { "✅ PASS" } else { "❌ FAIL" };
        out.push_str(&format!(
            "| {result} | {} | {} |\n",
            cell(&a.assertion),
            cell(&a.measured_text())
        ));
    }
    out.push('\n');
    out
}

fn statistics(results: &Results) -> String {
    let mut out = "### Statistics\n\n\
        | name | ok | ko | ko % | events | data | time to first event p99 | event gap p99 | delivery latency p99 |\n\
        | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        .to_owned();
    let rows = results.scoped("name").chain(results.scoped("global"));
    for s in rows {
        out.push_str(&row(s));
    }
    out.push('\n');
    out
}

fn row(s: &Stats) -> String {
    let c = &s.counts;
    let p99 = |metric: &str| {
        s.metrics
            .get(metric)
            .map_or_else(|| "".to_owned(), |l| format!("{} ms", number(l.p99)))
    };
    let label = if s.scope == "global" {
        "**all**".to_owned()
    } else {
        cell(&s.label())
    };
    format!(
        "| {label} | {} | {} | {}% | {} | {} | {} | {} | {} |\n",
        c.ok,
        c.ko,
        number(c.ko_percent()),
        c.events,
        bytes(c.bytes),
        p99("time_to_first_event"),
        p99("event_gap"),
        p99("delivery_latency")
    )
}

fn errors(results: &Results) -> String {
    if results.errors.is_empty() {
        return "No errors.\n".to_owned();
    }
    let table = crate::table::errors(results);
    let mut out = format!(
        "### Errors (the {} most frequent of {})\n\n| name | kind | message | count |\n| --- | --- | --- | ---: |\n",
        TOP_ERRORS.min(table.rows.len()),
        table.rows.len()
    );
    for r in table.rows.iter().take(TOP_ERRORS) {
        out.push_str(&format!(
            "| {} / {} | {} | {} | {} |\n",
            cell(&r[0].display()),
            cell(&r[1].display()),
            cell(&r[2].display()),
            cell(&r[3].display()),
            r[4].display()
        ));
    }
    out
}

/// Text safe inside a table cell: pipes escaped, line breaks as spaces,
/// markup characters escaped so a message cannot inject HTML.
fn cell(text: &str) -> String {
    crate::escape::markup(text)
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}
