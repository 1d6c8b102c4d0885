//! The live view of `sseload run`: one frame per engine snapshot.
//!
//! On a terminal the frame is a small dashboard redrawn in place (progress
//! through the load profile, users, streams, rates, and p50/p99/max of every
//! metric seen in the last second). Anywhere else (a pipe, a CI log) each
//! snapshot becomes one plain line, so logs stay greppable and never fill
//! with escape codes.

use std::fmt::Write as _;
use std::time::Duration;

use sseload_engine::Snapshot;

/// Width of the progress bar, in cells.
const BAR_CELLS: usize = 30;

/// The figures a frame shows, taken from one engine snapshot.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Frame {
    pub(crate) elapsed: Duration,
    pub(crate) planned: Duration,
    pub(crate) users: i64,
    pub(crate) started: u64,
    pub(crate) done: u64,
    pub(crate) streams: i64,
    pub(crate) events: u64,
    pub(crate) errors: u64,
    pub(crate) ok: u64,
    pub(crate) ko: u64,
    /// Metric name, p50, p99 and max in milliseconds, over the last second.
    pub(crate) latencies: Vec<(String, f64, f64, f64)>,
}

impl From<&Snapshot> for Frame {
    fn from(s: &Snapshot) -> Self {
        let p = &s.point;
        Self {
            elapsed: s.elapsed,
            planned: s.planned,
            users: p.users,
            started: s.arrivals_total,
            done: s.users_done,
            streams: p.streams,
            events: p.events,
            errors: p.errors,
            ok: p.ok,
            ko: p.ko,
            latencies: p
                .latencies
                .iter()
                .map(|l| (l.metric.clone(), l.p50_ms, l.p99_ms, l.max_ms))
                .collect(),
        }
    }
}

/// Draws frames: in place on a terminal, as plain lines elsewhere.
#[derive(Debug)]
pub(crate) struct LiveView {
    terminal: bool,
    /// Lines of the frame on screen, to move back over before the next one.
    drawn: usize,
}

impl LiveView {
    pub(crate) fn new(terminal: bool) -> Self {
        Self { terminal, drawn: 0 }
    }

    /// The text to write for `frame`, including the escape codes that erase
    /// the previous frame on a terminal.
    pub(crate) fn next(&mut self, frame: &Frame) -> String {
        if !self.terminal {
            return plain_line(frame) + "\n";
        }
        let body = dashboard(frame);
        let erase = match self.drawn {
            0 => String::new(),
            // Cursor to the start of the first line drawn, then clear to the end of screen.
            n => format!("\x1b[{n}F\x1b[J"),
        };
        self.drawn = body.lines().count();
        erase + &body
    }
}

/// One line per second, for logs.
pub(crate) fn plain_line(f: &Frame) -> String {
    let mut line = format!(
        "[{:>4}s/{}s] users {} (started {}, done {})  streams {}  events/s {}  errors/s {}",
        f.elapsed.as_secs(),
        f.planned.as_secs(),
        f.users,
        f.started,
        f.done,
        f.streams,
        f.events,
        f.errors,
    );
    for (metric, _, p99, _) in &f.latencies {
        let _ = write!(line, "  {metric} p99 {p99:.1}ms");
    }
    line
}

/// The terminal dashboard, ending with a newline.
pub(crate) fn dashboard(f: &Frame) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {:>5.1}s of {:.0}s  {}",
        progress_bar(f.elapsed, f.planned),
        f.elapsed.as_secs_f64(),
        f.planned.as_secs_f64(),
        percent(f.elapsed, f.planned),
    );
    let _ = writeln!(
        out,
        "users    {:>8} running {:>8} started {:>8} done",
        f.users, f.started, f.done
    );
    let _ = writeln!(
        out,
        "streams  {:>8} open    {:>8} events/s {:>6} errors/s {:>6} ok/s {:>6} ko/s",
        f.streams, f.events, f.errors, f.ok, f.ko
    );
    if f.latencies.is_empty() {
        let _ = writeln!(out, "(no durations recorded in the last second)");
        return out;
    }
    let _ = writeln!(
        out,
        "{:<22} {:>10} {:>10} {:>10}",
        "last second (ms)", "p50", "p99", "max"
    );
    for (metric, p50, p99, max) in &f.latencies {
        let _ = writeln!(out, "{metric:<22} {p50:>10.2} {p99:>10.2} {max:>10.2}");
    }
    out
}

fn fraction(elapsed: Duration, planned: Duration) -> f64 {
    if planned.is_zero() {
        return 1.0;
    }
    (elapsed.as_secs_f64() / planned.as_secs_f64()).clamp(0.0, 1.0)
}

fn percent(elapsed: Duration, planned: Duration) -> String {
    format!("{:>3.0}%", fraction(elapsed, planned) * 100.0)
}

fn progress_bar(elapsed: Duration, planned: Duration) -> String {
    let filled = (fraction(elapsed, planned) * BAR_CELLS as f64).round() as usize;
    format!("[{}{}]", "#".repeat(filled), ".".repeat(BAR_CELLS - filled))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(elapsed_s: u64, latencies: Vec<(&'static str, f64, f64, f64)>) -> Frame {
        Frame {
            elapsed: Duration::from_secs(elapsed_s),
            planned: Duration::from_secs(40),
            users: 161,
            started: 170,
            done: 9,
            streams: 158,
            events: 766,
            errors: 2,
            ok: 40,
            ko: 1,
            latencies: (latencies.into_iter())
                .map(|(m, a, b, c)| (m.to_owned(), a, b, c))
                .collect(),
        }
    }

    #[test]
    fn plain_lines_carry_the_counts_and_every_p99() {
        let f = frame(8, vec![("event_gap", 199.4, 216.7, 300.0)]);
        assert_eq!(
            plain_line(&f),
            "[   8s/40s] users 161 (started 170, done 9)  streams 158  events/s 766  errors/s 2  event_gap p99 216.7ms"
        );
    }

    #[test]
    fn the_dashboard_shows_progress_rates_and_a_row_per_metric() {
        let f = frame(10, vec![("time_to_first_event", 0.13, 7.22, 21.47)]);
        let text = dashboard(&f);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(
            lines[0].starts_with("[########......................]  10.0s of 40s   25%"),
            "{text}"
        );
        assert_eq!(
            lines[1],
            "users         161 running      170 started        9 done"
        );
        assert!(
            lines[2].contains("766 events/s") && lines[2].contains("2 errors/s"),
            "{text}"
        );
        assert!(lines[2].contains("1 ko/s"), "{text}");
        assert_eq!(
            lines[4],
            "time_to_first_event          0.13       7.22      21.47"
        );
    }

    #[test]
    fn the_dashboard_says_when_the_last_second_recorded_nothing() {
        assert!(dashboard(&frame(1, Vec::new())).contains("no durations recorded"));
    }

    #[test]
    fn progress_is_clamped_and_a_zero_plan_counts_as_done() {
        assert_eq!(
            progress_bar(Duration::from_secs(90), Duration::from_secs(40)),
            format!("[{}]", "#".repeat(30))
        );
        assert_eq!(percent(Duration::from_secs(1), Duration::ZERO), "100%");
    }

    #[test]
    fn a_terminal_frame_erases_the_previous_one_first() {
        let mut view = LiveView::new(true);
        let first = view.next(&frame(1, Vec::new()));
        assert!(!first.contains('\x1b'), "nothing to erase yet");
        let second = view.next(&frame(2, vec![("event_gap", 1.0, 2.0, 3.0)]));
        assert!(second.starts_with("\x1b[4F\x1b[J"), "{second:?}");
        let third = view.next(&frame(3, Vec::new()));
        assert!(third.starts_with("\x1b[5F\x1b[J"), "{third:?}");
    }

    #[test]
    fn off_a_terminal_every_frame_is_one_plain_line() {
        let mut view = LiveView::new(false);
        let text = view.next(&frame(2, Vec::new())) + &view.next(&frame(3, Vec::new()));
        assert_eq!(text.lines().count(), 2);
        assert!(!text.contains('\x1b'));
    }
}
