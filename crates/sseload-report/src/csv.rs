//! CSV export: one file per table and per time series (RFC 4180 quoting,
//! numbers at full precision).

use crate::distribution::Distribution;
use crate::table::{self, Cell, Table};
use crate::{Error, Results};

/// One CSV file: its name inside the output folder and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFile {
    /// The file name (`stats.csv`, `series_event_gap.csv`, …).
    pub name: String,
    /// The CSV text, CRLF line ends as RFC 4180 has them.
    pub text: String,
}

/// Every file: the tables (`assertions`, `stats`, `latency`, `errors`), the
/// per-second counters (`series`), each metric's per-second percentiles
/// (`series_<metric>`) and each metric's percentile curve (`distribution_<metric>`).
///
/// # Errors
///
/// [`Error::Histogram`] when a histogram in the file does not decode.
pub fn files(results: &Results) -> Result<Vec<CsvFile>, Error> {
    let mut tables = vec![
        table::assertions(results),
        table::stats(results),
        table::latency(results),
        table::errors(results),
        table::series(results),
    ];
    for metric in table::series_metrics(results) {
        tables.push(table::latency_series(results, &metric));
    }
    let distributions = crate::distribution::distributions(results)?;
    tables.extend(distributions.iter().map(distribution));
    Ok(tables.iter().map(file).collect())
}

fn distribution(d: &Distribution) -> Table {
    let rows = d
        .curves
        .iter()
        .flat_map(|(label, curve)| {
            curve.points.iter().map(move |(_, p, ms)| {
                vec![Cell::Text(label.clone()), Cell::Num(*p), Cell::Num(*ms)]
            })
        })
        .collect();
    Table {
        id: format!("distribution_{}", d.metric),
        title: format!("{} distribution", d.metric),
        headers: vec!["name".into(), "percentile".into(), "ms".into()],
        rows,
    }
}

/// A table as one CSV file.
pub fn file(table: &Table) -> CsvFile {
    let mut text = record(table.headers.iter().map(String::as_str));
    for row in &table.rows {
        let cells: Vec<String> = row.iter().map(Cell::exact).collect();
        text.push_str(&record(cells.iter().map(String::as_str)));
    }
    CsvFile {
        name: format!("{}.csv", table.id),
        text,
    }
}

fn record<'a>(fields: impl Iterator<Item = &'a str>) -> String {
    let fields: Vec<String> = fields.map(field).collect();
    format!("{}\r\n", fields.join(","))
}

/// A field, quoted when it holds a comma, a quote or a line break.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\"\n"), "\"say \"\"hi\"\"\n\"");
    }
}
