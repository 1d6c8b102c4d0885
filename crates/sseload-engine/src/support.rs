//! What this engine runs: a plan using anything else is refused at start-up
//! with the construct and its place named, never silently ignored.

use sseload_scenario::{Plan, Step, Target};

use crate::error::Error;

/// Refuses the first construct of `plan` the engine does not run.
pub(crate) fn check(plan: &Plan) -> Result<(), Error> {
    https_requests(plan)
}

/// Plain HTTP steps speak `http://` only in this engine (SSE streams speak both).
fn https_requests(plan: &Plan) -> Result<(), Error> {
    let Target::BaseUrls(urls) = &plan.target else {
        return Ok(());
    };
    let https = urls.iter().find(|u| u.scheme() == "https");
    let http_step = plan.scenarios.iter().find(|s| has_http_step(&s.steps));
    match (https, http_step) {
        (Some(url), Some(scenario)) => Err(Error::unsupported(
            "an `http` step against an https base URL",
            &format!("scenario `{}`, base URL {url}", scenario.name),
            "plain HTTP steps speak http:// only for now; SSE connects speak both",
        )),
        _ => Ok(()),
    }
}

fn has_http_step(steps: &[Step]) -> bool {
    steps
        .iter()
        .any(|step| matches!(step, Step::Http { .. }) || step.children().any(has_http_step))
}
