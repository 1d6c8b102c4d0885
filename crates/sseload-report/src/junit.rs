//! JUnit XML: one test case per assertion, so CI systems list the gates;
//! a failed assertion's failure carries the measured value.

use crate::Results;
use crate::escape::markup;
use crate::results::Outcome;
use crate::units::{iso, number};

/// The JUnit XML document.
pub fn render(results: &Results) -> String {
    let m = &results.meta;
    let tests = results.assertions.len();
    let failures = results.assertions.iter().filter(|a| !a.passed).count();
    let plan = markup(&m.plan);
    let time = number(m.duration_s);
    let cases: String = results.assertions.iter().map(|a| case(&plan, a)).collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <testsuites name=\"sseload\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{time}\">\n\
         <testsuite name=\"{plan}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{time}\" timestamp=\"{}\">\n\
         {cases}</testsuite>\n</testsuites>\n",
        iso(m.started_at_ms)
    )
}

fn case(plan: &str, a: &Outcome) -> String {
    let name = markup(&a.assertion);
    let open = format!("<testcase name=\"{name}\" classname=\"sseload.{plan}\" time=\"0\"");
    if a.passed {
        return format!(
            "{open}>\n<system-out>measured {}</system-out>\n</testcase>\n",
            markup(&a.measured_text())
        );
    }
    let message = match a.measured {
        Some(_) => format!("measured {}", a.measured_text()),
        None => a.measured_text(),
    };
    let message = markup(&message);
    format!(
        "{open}>\n<failure type=\"assertion\" message=\"{message}\">assertion: {name}\n{message}</failure>\n</testcase>\n"
    )
}
