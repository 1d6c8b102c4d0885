//! Helpers shared by the test modules.

use sseload_scenario::{Error, Plan};

/// Parses YAML that must be valid.
pub(crate) fn plan(yaml: &str) -> Plan {
    match sseload_scenario::from_str(yaml) {
        Ok(plan) => plan,
        Err(err) => panic!("the scenario should be valid:\n{err}"),
    }
}

/// Parses YAML that must be invalid, and renders its errors.
pub(crate) fn errors(yaml: &str) -> String {
    match sseload_scenario::from_str(yaml) {
        Ok(plan) => panic!("the scenario should be invalid, got {}", plan.summary()),
        Err(Error::Invalid(diagnostics)) => diagnostics.to_string(),
        Err(other) => panic!("expected validation errors, got {other}"),
    }
}
