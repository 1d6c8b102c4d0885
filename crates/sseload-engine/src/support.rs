//! What this engine runs: a plan using anything else is refused at start-up
//! with the construct and its place named, never silently ignored.

use sseload_scenario::{Plan, Scope, Step, Target};

use crate::error::Error;

/// Refuses the first construct of `plan` the engine does not run.
pub(crate) fn check(plan: &Plan) -> Result<(), Error> {
    for scenario in &plan.scenarios {
        steps(&scenario.steps, &format!("scenario `{}`", scenario.name))?;
    }
    for assertion in &plan.assertions {
        if let Scope::Group(group) = &assertion.scope {
            return Err(Error::unsupported(
                "an assertion scoped to a group",
                &format!("assertion on group `{group}`"),
                "groups are not recorded yet; scope it to a request, a scenario or the run",
            ));
        }
    }
    https_requests(plan)
}

fn steps(steps: &[Step], place: &str) -> Result<(), Error> {
    for step in steps {
        if let Step::Group { name, .. } = step {
            return Err(Error::unsupported(
                "`group`",
                &format!("{place}, group `{name}`"),
                "groups are not recorded yet; list the group's steps without it",
            ));
        }
        for children in step.children() {
            self::steps(children, place)?;
        }
    }
    Ok(())
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
