//! Line charts as inline SVG: axes with round ticks, one path per series,
//! a legend, and hover columns whose `<title>` is the tooltip (the browser
//! shows it without any script). Output is deterministic (coordinates at one
//! decimal), so charts can be compared as text.

use crate::escape::markup;
use crate::units::number;

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 280.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 40.0;
/// The most hover columns a chart gets; longer series share columns.
const MAX_COLUMNS: usize = 400;
/// Series with at most this many points also get a dot per point.
const MAX_DOTS: usize = 60;
/// Series colours, readable on white and in greyscale print.
const COLOURS: [&str; 7] = [
    "#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563",
];

/// What the horizontal axis measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum XAxis {
    /// Seconds since the start of the run.
    Seconds,
    /// `-log10(1 - q)`: 0 is the minimum, 1 is p90, 2 is p99, …
    Percentile,
}

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Series {
    /// Its legend label.
    pub(crate) label: String,
    /// `(x, y)` points with x ascending.
    pub(crate) points: Vec<(f64, f64)>,
}

/// A chart to draw.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plot {
    /// The element id (`chart-…`).
    pub(crate) id: String,
    /// The accessible title.
    pub(crate) title: String,
    /// The horizontal axis.
    pub(crate) x: XAxis,
    /// The unit of y values (`ms`, `/s`, or empty).
    pub(crate) unit: String,
    /// The lines.
    pub(crate) series: Vec<Series>,
}

/// Where data lands on the canvas.
#[derive(Debug, Clone, Copy)]
struct Frame {
    x_max: f64,
    y_max: f64,
}

impl Frame {
    fn of(plot: &Plot) -> Self {
        let all = plot.series.iter().flat_map(|s| s.points.iter());
        let (x, y) = all.fold((0f64, 0f64), |(x, y), p| (x.max(p.0), y.max(p.1)));
        let x_max = match plot.x {
            XAxis::Seconds => x.max(1.0),
            XAxis::Percentile => x.ceil().max(1.0),
        };
        Self {
            x_max,
            y_max: nice_top(y),
        }
    }

    fn px(self, x: f64) -> f64 {
        LEFT + x / self.x_max * (WIDTH - LEFT - RIGHT)
    }

    fn py(self, y: f64) -> f64 {
        HEIGHT - BOTTOM - y / self.y_max * (HEIGHT - TOP - BOTTOM)
    }
}

/// A round number ≥ `v` (1, 2, 2.5 or 5 times a power of ten); 1 for nothing.
fn nice_top(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let step = nice_step(v / 5.0);
    (v / step).ceil() * step
}

fn nice_step(raw: f64) -> f64 {
    let power = 10f64.powf(raw.log10().floor());
    let m = raw / power;
    let nice = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|n| m <= *n)
        .unwrap_or(10.0);
    nice * power
}

/// Renders one chart.
pub(crate) fn render(plot: &Plot) -> String {
    let frame = Frame::of(plot);
    let mut out = format!(
        "<svg class=\"chart\" id=\"{id}\" data-series=\"{n}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         role=\"img\" aria-labelledby=\"{id}-title\" xmlns=\"http://www.w3.org/2000/svg\">\n\
         <title id=\"{id}-title\">{title}</title>\n",
        id = markup(&plot.id),
        n = plot.series.len(),
        title = markup(&plot.title),
    );
    out.push_str(&y_grid(frame, &plot.unit));
    out.push_str(&x_grid(frame, plot.x));
    out.push_str(&legend(&plot.series));
    for (i, s) in plot.series.iter().enumerate() {
        out.push_str(&line(frame, s, COLOURS[i % COLOURS.len()]));
    }
    out.push_str(&hover(frame, plot));
    out.push_str("</svg>\n");
    out
}

fn y_grid(frame: Frame, unit: &str) -> String {
    let step = nice_step(frame.y_max / 5.0);
    let mut out = String::from(
        "<g class=\"grid\" stroke=\"#e5e7eb\" font-size=\"11\" fill=\"#4b5563\" text-anchor=\"end\">\n",
    );
    let mut i = 0.0;
    while i * step <= frame.y_max * 1.000_001 {
        let v = i * step;
        let y = frame.py(v);
        out.push_str(&format!(
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text x=\"{:.1}\" y=\"{:.1}\" stroke=\"none\">{}</text>\n",
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            trim_zeros(&number(v))
        ));
        i += 1.0;
    }
    if !unit.is_empty() {
        out.push_str(&format!(
            "<text x=\"{LEFT}\" y=\"{:.1}\" stroke=\"none\" text-anchor=\"start\">{}</text>\n",
            TOP - 20.0,
            markup(unit)
        ));
    }
    out.push_str("</g>\n");
    out
}

fn x_grid(frame: Frame, axis: XAxis) -> String {
    let step = match axis {
        XAxis::Seconds => nice_step(frame.x_max / 10.0).max(1.0),
        XAxis::Percentile => 1.0,
    };
    let base = HEIGHT - BOTTOM;
    let mut out = format!(
        "<g class=\"axis\" stroke=\"#9ca3af\" font-size=\"11\" fill=\"#4b5563\" text-anchor=\"middle\">\n\
         <line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{base}\" y2=\"{base}\"/>\n",
        WIDTH - RIGHT
    );
    let mut i = 0.0;
    while i * step <= frame.x_max + 1e-9 {
        let x = frame.px(i * step);
        out.push_str(&format!(
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{base}\" y2=\"{:.1}\"/><text x=\"{x:.1}\" y=\"{:.1}\" stroke=\"none\">{}</text>\n",
            base + 4.0,
            base + 17.0,
            x_label(axis, i * step)
        ));
        i += 1.0;
    }
    let caption = match axis {
        XAxis::Seconds => "seconds since start",
        XAxis::Percentile => "percentile",
    };
    out.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" stroke=\"none\">{caption}</text>\n</g>\n",
        LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
        HEIGHT - 6.0
    ));
    out
}

fn x_label(axis: XAxis, x: f64) -> String {
    match axis {
        XAxis::Seconds => format!("{}s", number(x)),
        XAxis::Percentile => percentile_label(x),
    }
}

/// `0` → `min`, `1` → `p90`, `2.5` → `p99.68`.
fn percentile_label(x: f64) -> String {
    if x == 0.0 {
        return "min".to_owned();
    }
    let p = 100.0 * (1.0 - 10f64.powf(-x));
    let digits = (x.ceil() as usize).saturating_sub(2).min(4);
    let text = format!("{p:.digits$}");
    format!("p{}", trim_zeros(&text))
}

fn trim_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

fn legend(series: &[Series]) -> String {
    let mut out = String::from("<g class=\"legend\" font-size=\"12\" fill=\"#111827\">\n");
    let mut x = WIDTH - RIGHT;
    let items: Vec<(usize, &Series)> = series.iter().enumerate().collect();
    for (i, s) in items.into_iter().rev() {
        let label = markup(&s.label);
        x -= 7.0 * s.label.chars().count() as f64 + 28.0;
        out.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"8\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{:.1}\" y=\"18\">{label}</text>\n",
            COLOURS[i % COLOURS.len()],
            x + 16.0
        ));
    }
    out.push_str("</g>\n");
    out
}

fn line(frame: Frame, s: &Series, colour: &str) -> String {
    let d: Vec<String> = s
        .points
        .iter()
        .enumerate()
        .map(|(i, (x, y))| {
            let cmd = if i == 0 { 'M' } else { 'L' };
            format!("{cmd}{:.1} {:.1}", frame.px(*x), frame.py(*y))
        })
        .collect();
    let mut out = format!(
        "<path class=\"line\" data-label=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" stroke-linejoin=\"round\" d=\"{}\"/>\n",
        markup(&s.label),
        d.join(" ")
    );
    if s.points.len() <= MAX_DOTS {
        for (x, y) in &s.points {
            out.push_str(&format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{colour}\"/>\n",
                frame.px(*x),
                frame.py(*y)
            ));
        }
    }
    out
}

fn hover(frame: Frame, plot: &Plot) -> String {
    let Some(longest) = plot.series.iter().max_by_key(|s| s.points.len()) else {
        return String::new();
    };
    let xs: Vec<f64> = longest.points.iter().map(|p| p.0).collect();
    let every = xs.len().div_ceil(MAX_COLUMNS).max(1);
    let columns: Vec<f64> = xs.iter().step_by(every).copied().collect();
    let mut out = String::from("<g class=\"hover\" fill=\"transparent\">\n");
    for (i, x) in columns.iter().enumerate() {
        let left = if i == 0 {
            LEFT
        } else {
            frame.px((columns[i - 1] + x) / 2.0)
        };
        let right = columns
            .get(i + 1)
            .map_or(WIDTH - RIGHT, |next| frame.px((x + next) / 2.0));
        out.push_str(&format!(
            "<rect x=\"{left:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\"><title>{}</title></rect>\n",
            (right - left).max(0.5),
            HEIGHT - TOP - BOTTOM,
            markup(&tip(plot, *x))
        ));
    }
    out.push_str("</g>\n");
    out
}

/// The tooltip at `x`: the x label, then each series' value there.
fn tip(plot: &Plot, x: f64) -> String {
    let mut text = x_label(plot.x, x);
    for s in &plot.series {
        let at = s.points.partition_point(|p| p.0 < x - 1e-9);
        if let Some((px, y)) = s.points.get(at)
            && (px - x).abs() < 1e-9
        {
            let value = crate::units::with_unit(*y, &plot.unit);
            text.push_str(&format!("\n{}: {value}", s.label));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_tops() {
        assert_eq!(nice_top(0.0), 1.0);
        assert_eq!(nice_top(7.0), 8.0);
        assert_eq!(nice_top(93.0), 100.0);
        assert_eq!(nice_top(1234.0), 1250.0);
    }

    #[test]
    fn long_series_share_hover_columns() {
        let plot = Plot {
            id: "chart-long".into(),
            title: "long".into(),
            x: XAxis::Seconds,
            unit: String::new(),
            series: vec![Series {
                label: "a".into(),
                points: (1..=3600).map(|s| (f64::from(s), 1.0)).collect(),
            }],
        };
        let svg = render(&plot);
        assert_eq!(
            svg.matches("<rect x=").count() - 1,
            400,
            "one legend swatch, 400 columns"
        );
        assert!(!svg.contains("<circle"), "no dots on long series");
    }

    #[test]
    fn percentile_labels() {
        assert_eq!(percentile_label(0.0), "min");
        assert_eq!(percentile_label(1.0), "p90");
        assert_eq!(percentile_label(2.0), "p99");
        assert_eq!(percentile_label(3.0), "p99.9");
        assert_eq!(percentile_label(5.0), "p99.999");
    }

    #[test]
    fn tooltip_lists_every_series_at_the_column() {
        let plot = Plot {
            id: "chart-t".into(),
            title: "t".into(),
            x: XAxis::Seconds,
            unit: "/s".into(),
            series: vec![
                Series {
                    label: "a".into(),
                    points: vec![(1.0, 2.0), (2.0, 3.0)],
                },
                Series {
                    label: "b".into(),
                    points: vec![(2.0, 5.0)],
                },
            ],
        };
        assert_eq!(tip(&plot, 1.0), "1s\na: 2 /s");
        assert_eq!(tip(&plot, 2.0), "2s\na: 3 /s\nb: 5 /s");
    }
}
