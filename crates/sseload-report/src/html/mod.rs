//! The HTML report: one self-contained page (inline CSS, inline SVG charts,
//! a few lines of inline script that check every chart has data), readable
//! on a laptop screen and on paper. Nothing is loaded from the network.

mod charts;
mod page;
mod svg;
mod tables;

use crate::{Error, Results, distribution::distributions};

/// One chart of the report as standalone SVG text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    /// Its element id (`chart-users`, `chart-event_gap-distribution`, …).
    pub id: String,
    /// Its title.
    pub title: String,
    /// The `<svg>` element.
    pub svg: String,
}

/// Every chart the page shows, in page order (charts with no data are left out).
///
/// # Errors
///
/// [`Error::Histogram`] when a histogram in the file does not decode.
pub fn charts(results: &Results) -> Result<Vec<Chart>, Error> {
    let timeline = charts::timeline(results)
        .into_iter()
        .filter_map(|slot| match slot {
            charts::Slot::Plot(plot) => Some(plot),
            charts::Slot::Empty { .. } => None,
        });
    let curves = charts::distribution_plots(&distributions(results)?);
    Ok(timeline
        .chain(curves)
        .map(|plot| Chart {
            svg: svg::render(&plot),
            id: plot.id,
            title: plot.title,
        })
        .collect())
}

/// The whole page.
///
/// # Errors
///
/// [`Error::Histogram`] when a histogram in the file does not decode.
pub fn render(results: &Results) -> Result<String, Error> {
    let distributions = distributions(results)?;
    Ok(page::page(results, &distributions))
}
