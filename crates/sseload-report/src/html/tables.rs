//! Tables as HTML.

use crate::escape::markup;
use crate::table::{Cell, Table};

/// A table in a scrolling box; rows of statistics are shaded by scope.
pub(crate) fn render(table: &Table) -> String {
    if table.rows.is_empty() {
        return "<p class=\"empty\">None.</p>\n".to_owned();
    }
    let head: String = table
        .headers
        .iter()
        .map(|h| format!("<th>{}</th>", markup(h)))
        .collect();
    let mut out = format!(
        "<div class=\"scroll\"><table id=\"table-{}\">\n<thead><tr>{head}</tr></thead>\n<tbody>\n",
        markup(&table.id)
    );
    for row in &table.rows {
        out.push_str(&row_html(row));
    }
    out.push_str("</tbody></table></div>\n");
    out
}

fn row_html(row: &[Cell]) -> String {
    let scope = match row.first() {
        Some(Cell::Text(t)) if t == "scenario" || t == "global" => format!(" class=\"scope-{t}\""),
        _ => String::new(),
    };
    let cells: String = row.iter().map(cell_html).collect();
    format!("<tr{scope}>{cells}</tr>\n")
}

fn cell_html(cell: &Cell) -> String {
    let class = match cell {
        Cell::Text(t) if t == "PASS" => " class=\"pass\"",
        Cell::Text(t) if t == "FAIL" => " class=\"fail\"",
        c if c.is_number() => " class=\"n\"",
        _ => "",
    };
    let title = match cell {
        Cell::Num(v) => format!(" title=\"{v}\""),
        _ => String::new(),
    };
    format!("<td{class}{title}>{}</td>", markup(&cell.display()))
}
