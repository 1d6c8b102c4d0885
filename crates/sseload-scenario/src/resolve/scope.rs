//! What a scenario defines and uses, to find references to nothing: an
//! await on a stream no step connects, a variable no step sets.
//!
//! The analysis is deliberately flow-insensitive: a stream connected
//! anywhere in the scenario, or a variable set anywhere in it, counts as
//! defined. What it reports is therefore certain: "provably never set".

use std::collections::{BTreeSet, HashSet};

use super::{Ctx, list};
use crate::error::{Diagnostic, Pos};
use crate::expr::VarId;

/// Definitions and uses, for the scenario being resolved and the whole plan.
#[derive(Debug, Default)]
pub(crate) struct Scope {
    sets: HashSet<VarId>,
    reads: Vec<(VarId, Option<Pos>)>,
    connects: BTreeSet<String>,
    stream_uses: Vec<(String, Option<Pos>, &'static str)>,
    /// Every request, stream, listener and check name in the plan.
    pub(crate) requests: BTreeSet<String>,
    /// Every scenario name in the plan.
    pub(crate) scenarios: BTreeSet<String>,
    /// Every group name in the plan.
    pub(crate) groups: BTreeSet<String>,
    all_sets: HashSet<VarId>,
    /// Variables declared under `vars:`: set in every scenario.
    declared: HashSet<VarId>,
    /// Some item of the scenario being resolved failed to parse.
    pub(crate) incomplete: bool,
    /// Some feeder failed to parse.
    pub(crate) feeders_incomplete: bool,
    /// Some item of the plan failed to parse.
    pub(crate) incomplete_plan: bool,
}

impl Scope {
    pub(crate) fn set(&mut self, var: VarId) {
        self.sets.insert(var);
        self.all_sets.insert(var);
    }

    /// A variable declared under `vars:`: every session starts with it.
    pub(crate) fn declare(&mut self, var: VarId) {
        self.declared.insert(var);
    }

    pub(crate) fn read(&mut self, var: VarId, at: Option<Pos>) {
        self.reads.push((var, at));
    }

    pub(crate) fn connect(&mut self, stream: &str) {
        self.connects.insert(stream.to_owned());
    }

    pub(crate) fn use_stream(&mut self, stream: &str, at: Option<Pos>, step: &'static str) {
        self.stream_uses.push((stream.to_owned(), at, step));
    }

    /// Takes the reads recorded so far (those of plan-wide templates).
    pub(crate) fn take_reads(&mut self) -> Vec<(VarId, Option<Pos>)> {
        std::mem::take(&mut self.reads)
    }

    /// Whether any scenario sets `var`.
    pub(crate) fn set_anywhere(&self, var: VarId) -> bool {
        self.all_sets.contains(&var) || self.declared.contains(&var)
    }
}

/// Checks the finished scenario's references and starts afresh.
pub(crate) fn finish_scenario(ctx: &mut Ctx<'_>, scenario: &str) {
    let uses = std::mem::take(&mut ctx.scope.stream_uses);
    let connects = std::mem::take(&mut ctx.scope.connects);
    let reads = std::mem::take(&mut ctx.scope.reads);
    let sets = std::mem::take(&mut ctx.scope.sets);
    let incomplete = std::mem::take(&mut ctx.scope.incomplete);
    if incomplete {
        return;
    }
    for (stream, at, step) in uses.into_iter().filter(|(s, ..)| !connects.contains(s)) {
        let hint = format!(
            "streams connected in scenario `{scenario}`: {}; name the stream with `stream:` on sse_connect",
            list(&connects)
        );
        ctx.diags.push(Diagnostic::new(format!("{step} on stream `{stream}`, which no sse_connect in scenario `{scenario}` opens"), at).hint(hint));
    }
    let mut reported = HashSet::new();
    let declared = &ctx.scope.declared;
    let unset: Vec<_> = reads
        .into_iter()
        .filter(|(v, _)| !sets.contains(v) && !declared.contains(v))
        .collect();
    for (var, at) in unset {
        if reported.insert((var, at)) {
            let names: Vec<&str> = sets.iter().map(|v| ctx.vars.name(*v)).collect();
            let hint = format!(
                "set it with save_as, feed, set or a loop counter, or declare it under the plan's `vars:`; variables set in this scenario: {}",
                list(names)
            );
            let message = format!(
                "session variable `{}` is never set in scenario `{scenario}`",
                ctx.vars.name(var)
            );
            ctx.diags.push(Diagnostic::new(message, at).hint(hint));
        }
    }
}

/// Checks the reads of plan-wide templates against every scenario.
pub(crate) fn finish_plan(ctx: &mut Ctx<'_>, reads: Vec<(VarId, Option<Pos>)>) {
    if ctx.scope.incomplete_plan {
        return;
    }
    for (var, at) in reads
        .into_iter()
        .filter(|(v, _)| !ctx.scope.set_anywhere(*v))
    {
        let message = format!(
            "session variable `{}` is never set by any scenario",
            ctx.vars.name(var)
        );
        ctx.diags.push(
            Diagnostic::new(message, at).hint(
                "set it with save_as, feed, set or a loop counter, or declare it under the plan's `vars:`",
            ),
        );
    }
}
