//! The report's tables as plain data, shared by every output: the HTML page
//! and the Markdown summary show them, the CSV export writes them.

use crate::results::{Point, Results, Stats};
use crate::units::number;

/// One cell: text, or a number kept exact for CSV and rounded for reading.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A count.
    Int(u64),
    /// A measurement (milliseconds, percent, per second: the header says).
    Num(f64),
}

impl Cell {
    /// The cell for reading: numbers rounded to a few digits.
    pub fn display(&self) -> String {
        match self {
            Self::Text(t) => t.clone(),
            Self::Int(n) => n.to_string(),
            Self::Num(v) => number(*v),
        }
    }

    /// The cell for machines: numbers at full precision.
    pub fn exact(&self) -> String {
        match self {
            Self::Text(t) => t.clone(),
            Self::Int(n) => n.to_string(),
            Self::Num(v) => v.to_string(),
        }
    }

    /// Whether the cell is a number (right-aligned when shown).
    pub fn is_number(&self) -> bool {
        !matches!(self, Self::Text(_))
    }
}

/// A table with a name, headers and rows of cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// File-name-safe identifier (`stats`, `latency`, …).
    pub id: String,
    /// The heading above it.
    pub title: String,
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows, each as long as `headers`.
    pub rows: Vec<Vec<Cell>>,
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn table(id: &str, title: &str, headers: &[&str], rows: Vec<Vec<Cell>>) -> Table {
    Table {
        id: id.to_owned(),
        title: title.to_owned(),
        headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        rows,
    }
}

/// A metric's name for people: `time_to_first_event` → `Time to first event`.
pub(crate) fn metric_title(metric: &str) -> String {
    let spaced = metric.replace('_', " ");
    let mut chars = spaced.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The assertions: outcome, text, measured value.
pub fn assertions(results: &Results) -> Table {
    let rows = results
        .assertions
        .iter()
        .map(|a| {
            vec![
                text(if a.passed { "PASS" } else { "FAIL" }),
                text(a.assertion.clone()),
                a.measured.map_or_else(|| text(""), Cell::Num),
                text(a.unit.clone()),
                text(a.note.clone().unwrap_or_default()),
            ]
        })
        .collect();
    let headers = ["result", "assertion", "measured", "unit", "note"];
    table("assertions", "Assertions", &headers, rows)
}

fn scope_cells(s: &Stats) -> Vec<Cell> {
    vec![
        text(s.scope.clone()),
        text(s.scenario.clone().unwrap_or_default()),
        text(s.name.clone().unwrap_or_default()),
        text(s.kind.clone().unwrap_or_default()),
    ]
}

/// Counts per name, per scenario and for the run.
pub fn stats(results: &Results) -> Table {
    let rows = results
        .stats
        .iter()
        .map(|s| {
            let c = &s.counts;
            let mut row = scope_cells(s);
            row.extend([
                Cell::Int(c.ok + c.ko),
                Cell::Int(c.ok),
                Cell::Int(c.ko),
                Cell::Num(c.ko_percent()),
                Cell::Num(s.rate),
                Cell::Int(c.events),
                Cell::Int(c.bytes),
                Cell::Int(c.reconnects),
                Cell::Int(c.missed),
                Cell::Int(c.duplicates),
                Cell::Int(c.unmatched),
                Cell::Int(c.closed_at_user_end),
            ]);
            row
        })
        .collect();
    let headers = [
        "scope",
        "scenario",
        "name",
        "kind",
        "total",
        "ok",
        "ko",
        "ko %",
        "rate /s",
        "events",
        "bytes",
        "reconnects",
        "missed",
        "duplicates",
        "unmatched",
        "left open",
    ];
    table("stats", "Statistics per name", &headers, rows)
}

/// Every metric's statistics per name, per scenario and for the run.
pub fn latency(results: &Results) -> Table {
    let mut rows = Vec::new();
    for s in &results.stats {
        for (metric, l) in &s.metrics {
            let mut row = scope_cells(s);
            row.push(text(metric.clone()));
            row.push(Cell::Int(l.count));
            row.extend([l.rate, l.min, l.p50, l.p75, l.p95, l.p99, l.max, l.mean].map(Cell::Num));
            rows.push(row);
        }
    }
    let headers = [
        "scope", "scenario", "name", "kind", "metric", "count", "rate /s", "min ms", "p50 ms",
        "p75 ms", "p95 ms", "p99 ms", "max ms", "mean ms",
    ];
    table(
        "latency",
        "Durations per name (milliseconds)",
        &headers,
        rows,
    )
}

/// The errors table, largest first, with each line's share of all errors.
pub fn errors(results: &Results) -> Table {
    let total: u64 = results.errors.iter().map(|e| e.count).sum();
    let mut lines: Vec<_> = results.errors.iter().collect();
    lines.sort_by_key(|e| std::cmp::Reverse(e.count));
    let rows = lines
        .into_iter()
        .map(|e| {
            vec![
                text(e.scenario.clone()),
                text(e.name.clone()),
                text(e.kind.clone()),
                text(e.message.clone()),
                Cell::Int(e.count),
                Cell::Num(e.count as f64 * 100.0 / total.max(1) as f64),
            ]
        })
        .collect();
    let headers = [
        "scenario",
        "name",
        "kind",
        "message",
        "count",
        "% of errors",
    ];
    table("errors", "Errors", &headers, rows)
}

/// The per-second counters.
pub fn series(results: &Results) -> Table {
    let extra = |f: fn(&Point) -> Option<u64>| results.series.iter().any(|p| f(p).is_some());
    let (reconnects, missed) = (extra(|p| p.reconnects), extra(|p| p.missed));
    let rows = results
        .series
        .iter()
        .map(|p| {
            let mut row = vec![p.second, p.arrivals, p.events, p.errors, p.ok, p.ko]
                .into_iter()
                .map(Cell::Int)
                .collect::<Vec<_>>();
            row.insert(1, Cell::Num(p.users as f64));
            row.insert(2, Cell::Num(p.streams as f64));
            row.extend(reconnects.then(|| Cell::Int(p.reconnects.unwrap_or(0))));
            row.extend(missed.then(|| Cell::Int(p.missed.unwrap_or(0))));
            row
        })
        .collect();
    let mut headers = vec![
        "second", "users", "streams", "arrivals", "events", "errors", "ok", "ko",
    ];
    headers.extend(reconnects.then_some("reconnects"));
    headers.extend(missed.then_some("missed"));
    table("series", "The run per second", &headers, rows)
}

/// The per-second percentiles of one metric (seconds without values are left out).
pub fn latency_series(results: &Results, metric: &str) -> Table {
    let rows = results
        .series
        .iter()
        .filter_map(|p| {
            p.latency(metric).map(|l| {
                vec![
                    Cell::Int(p.second),
                    Cell::Int(l.count),
                    Cell::Num(l.p50_ms),
                    Cell::Num(l.p99_ms),
                    Cell::Num(l.max_ms),
                ]
            })
        })
        .collect();
    let title = format!("{} per second (milliseconds)", metric_title(metric));
    let headers = ["second", "count", "p50 ms", "p99 ms", "max ms"];
    table(&format!("series_{metric}"), &title, &headers, rows)
}

/// Every latency metric present in the time series, in first-seen order.
pub fn series_metrics(results: &Results) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in results.series.iter().flat_map(|p| &p.latencies) {
        if !out.contains(&l.metric) {
            out.push(l.metric.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_titles() {
        assert_eq!(metric_title("time_to_first_event"), "Time to first event");
        assert_eq!(metric_title(""), "");
    }
}
