//! A user's session: values by variable, and whether it failed.

use serde_json::Value;
use sseload_scenario::VarId;
use sseload_scenario::expr::Lookup;

/// Session values by [`VarId`], and the failed flag checks set.
#[derive(Debug, Clone, Default)]
pub(crate) struct Session {
    pub(crate) values: Vec<Option<Value>>,
    pub(crate) failed: bool,
}

impl Session {
    pub(crate) fn new(vars: usize, initial: &[(VarId, Value)]) -> Self {
        let mut session = Self {
            values: vec![None; vars],
            failed: false,
        };
        for (var, value) in initial {
            session.set(*var, value.clone());
        }
        session
    }

    pub(crate) fn set(&mut self, var: VarId, value: Value) {
        if let Some(slot) = self.values.get_mut(var.index()) {
            *slot = Some(value);
        }
    }

    pub(crate) fn save(&mut self, saves: Vec<(VarId, Value)>) {
        for (var, value) in saves {
            self.set(var, value);
        }
    }
}

impl Lookup for Session {
    fn get(&self, var: VarId) -> Option<&Value> {
        self.values
            .as_slice()
            .get(var.index())
            .and_then(Option::as_ref)
    }
}
