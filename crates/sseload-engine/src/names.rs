//! Every name a run records under, interned once at start-up so that
//! recording is an index, never a string lookup or an allocation.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sseload_scenario::{Plan, Step};

/// What a recorded name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NameKind {
    /// An HTTP request, an SSE connect or a close.
    Request,
    /// A message check or a listen.
    Check,
    /// The scenario itself: errors of steps that have no name (feed, set).
    Scenario,
}

/// One recorded name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Name {
    /// The scenario it belongs to.
    pub scenario: String,
    /// The name as the scenario writes it.
    pub name: String,
    /// What it stands for.
    pub kind: NameKind,
    /// The groups it is inside, outermost first, joined by ` / ` (absent outside groups).
    pub group: Option<String>,
}

/// An index into [`Names`].
pub(crate) type NameId = usize;

/// The interned names of a plan.
#[derive(Debug, Default)]
pub(crate) struct Names {
    list: Vec<Name>,
    /// Per scenario, per group path (`""` outside groups), per kind: name to
    /// id (looked up by `&str`, no allocation).
    index: Vec<HashMap<String, [HashMap<String, NameId>; 3]>>,
}

impl Names {
    /// Every name the plan's steps record under.
    pub(crate) fn of(plan: &Plan) -> Self {
        let mut names = Self::default();
        for (i, scenario) in plan.scenarios.iter().enumerate() {
            names.index.push(Default::default());
            let at = Place {
                scenario: i,
                scenario_name: &scenario.name,
                group: "",
            };
            names.intern(&at, NameKind::Scenario, &scenario.name);
            names.walk(&at, &scenario.steps);
        }
        names
    }

    fn walk(&mut self, at: &Place<'_>, steps: &[Step]) {
        for step in steps {
            for (kind, name) in step_names(step) {
                self.intern(at, kind, name);
            }
            let inner;
            let at = match step {
                Step::Group { name, .. } => {
                    inner = group_path(at.group, name);
                    &Place {
                        group: &inner,
                        ..*at
                    }
                }
                _ => at,
            };
            for children in step.children() {
                self.walk(at, children);
            }
        }
    }

    fn intern(&mut self, at: &Place<'_>, kind: NameKind, name: &str) {
        let next = self.list.len();
        let groups = &mut self.index[at.scenario];
        let map = &mut groups.entry(at.group.to_owned()).or_default()[slot(kind)];
        if map.contains_key(name) {
            return;
        }
        map.insert(name.to_owned(), next);
        self.list.push(Name {
            scenario: at.scenario_name.to_owned(),
            name: name.to_owned(),
            kind,
            group: (!at.group.is_empty()).then(|| at.group.to_owned()),
        });
    }

    /// The id of a name a step of `scenario` records under, inside `group`
    /// (`""` outside groups). Every such name was interned from the plan.
    pub(crate) fn id(&self, scenario: usize, group: &str, kind: NameKind, name: &str) -> NameId {
        self.index[scenario]
            .get(group)
            .and_then(|kinds| kinds[slot(kind)].get(name))
            .copied()
            .unwrap_or_default()
    }

    /// How many names there are.
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    /// Every name, by id.
    pub(crate) fn list(&self) -> &[Name] {
        &self.list
    }
}

/// Where a name is interned.
#[derive(Debug, Clone, Copy)]
struct Place<'a> {
    scenario: usize,
    scenario_name: &'a str,
    group: &'a str,
}

/// The path of group `name` inside `parent` (`""` at the top).
pub(crate) fn group_path(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent} / {name}")
    }
}

fn slot(kind: NameKind) -> usize {
    match kind {
        NameKind::Request => 0,
        NameKind::Check => 1,
        NameKind::Scenario => 2,
    }
}

fn step_names(step: &Step) -> Vec<(NameKind, &str)> {
    match step {
        Step::Http { request, .. } => vec![(NameKind::Request, request.name.as_str())],
        Step::SseConnect(c) => {
            let mut names = vec![(NameKind::Request, c.request.name.as_str())];
            names.extend(sequence_names(&c.sequences));
            names
        }
        Step::SseAwait(a) => sequence_names(&a.sequences).collect(),
        Step::SseListen(l) => vec![(NameKind::Check, l.name.as_str())],
        Step::SseClose(c) => vec![(NameKind::Request, c.name.as_str())],
        _ => Vec::new(),
    }
}

fn sequence_names(
    sequences: &[sseload_scenario::Sequence],
) -> impl Iterator<Item = (NameKind, &str)> {
    sequences
        .iter()
        .flat_map(|s| s.checks.iter())
        .map(|c| (NameKind::Check, c.name.as_str()))
}
