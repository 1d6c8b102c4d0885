//! The top of the document: target, defaults, scenarios, assertions.

use std::collections::BTreeMap;

use url::Url;

use super::{Ctx, all, assertion, feeder, load, request, scope, step, valid};
use crate::plan::{HttpDefaults, Plan, Scenario, Target, Tls};
use crate::raw;
use crate::yaml::{Checked, Spanned};

pub(crate) fn document(ctx: &mut Ctx<'_>, doc: &raw::Document) -> Option<Plan> {
    let name = doc
        .name
        .as_ref()
        .map_or_else(|| ctx.options.default_name.clone(), |n| n.value.clone());
    let declared = declared(ctx, &doc.vars);
    let target = doc.target.valid().and_then(|t| target(ctx, t));
    let http = http(ctx, doc.http.as_ref().and_then(Checked::valid));
    let global_reads = ctx.scope.take_reads();
    let max_duration = doc
        .max_duration
        .as_ref()
        .and_then(Checked::valid)
        .map(|d| d.0);
    let throttle = load::throttle(ctx, &doc.throttle);
    let feeders = feeder::feeders(ctx, &doc.feeders);
    let scenarios = scenarios(ctx, doc);
    scope::finish_plan(ctx, global_reads);
    let assertions = all(valid(&doc.assertions), |a| assertion::assertion(ctx, a));
    Some(Plan {
        name,
        target: target?,
        http: http?,
        max_duration,
        throttle: throttle?,
        feeders: feeders?,
        scenarios: scenarios?,
        assertions: assertions?,
        vars: ctx.vars.clone(),
        declared: declared?,
    })
}

/// The variables declared under `vars:`, with their default values.
fn declared(
    ctx: &mut Ctx<'_>,
    vars: &BTreeMap<String, Spanned<serde_json::Value>>,
) -> Option<Vec<(crate::expr::VarId, serde_json::Value)>> {
    all(vars, |(name, value)| {
        let name = Spanned {
            value: name.clone(),
            at: value.at,
        };
        let id = ctx.declare_var(&name)?;
        Some((id, value.value.clone()))
    })
}

fn target(ctx: &mut Ctx<'_>, target: &Spanned<raw::Target>) -> Option<Target> {
    match &target.value {
        raw::Target::Embedded => Some(Target::Embedded),
        raw::Target::BaseUrl(url) => base_url(ctx, url).map(|u| Target::BaseUrls(vec![u])),
        raw::Target::BaseUrls(urls) if urls.is_empty() => ctx.error_hint(
            target.at,
            "`base_urls` is empty",
            "give at least one URL, or use `base_url`",
        ),
        raw::Target::BaseUrls(urls) => all(urls, |u| base_url(ctx, u)).map(Target::BaseUrls),
    }
}

fn base_url(ctx: &mut Ctx<'_>, url: &Spanned<String>) -> Option<Url> {
    let parsed = match Url::parse(&url.value) {
        Ok(parsed) => parsed,
        Err(err) => {
            return ctx.error_hint(
                url.at,
                format!("invalid base URL `{}`: {err}", url.value),
                "write a full URL such as http://127.0.0.1:8080",
            );
        }
    };
    if !matches!(parsed.scheme(), "http" | "https") {
        return ctx.error(
            url.at,
            format!("base URL `{}` must use http or https", url.value),
        );
    }
    Some(parsed)
}

fn http(ctx: &mut Ctx<'_>, http: Option<&raw::Http>) -> Option<HttpDefaults> {
    let Some(http) = http else {
        return Some(HttpDefaults::default());
    };
    let headers = request::headers(ctx, &http.headers);
    let tls = http
        .tls
        .as_ref()
        .map_or(Some(Tls::default()), |t| tls(ctx, t));
    Some(HttpDefaults {
        headers: headers?,
        tls: tls?,
    })
}

fn tls(ctx: &mut Ctx<'_>, tls: &raw::Tls) -> Option<Tls> {
    let ca_file = match &tls.ca_file {
        Some(file) => {
            let path = ctx.path(&file.value);
            if !path.is_file() {
                return ctx.error(
                    file.at,
                    format!("CA file `{}` does not exist", path.display()),
                );
            }
            Some(path)
        }
        None => None,
    };
    Some(Tls {
        ca_file,
        accept_invalid_certs: tls.accept_invalid_certs,
    })
}

fn scenarios(ctx: &mut Ctx<'_>, doc: &raw::Document) -> Option<Vec<Scenario>> {
    if doc.scenarios.value.is_empty() {
        return ctx.error_hint(
            doc.scenarios.at,
            "`scenarios` is empty",
            "describe at least one kind of virtual user",
        );
    }
    let population = doc.population.as_ref().and_then(Checked::valid);
    let shares = population.and_then(|p| load::population_shares(ctx, p, &doc.scenarios.value));
    let mut seen: BTreeMap<String, ()> = BTreeMap::new();
    let mut index = 0;
    if doc.scenarios.value.iter().any(|s| s.valid().is_none()) {
        ctx.scope.incomplete_plan = true;
    }
    all(valid(&doc.scenarios.value), |s| {
        if seen.insert(s.value.name.value.clone(), ()).is_some() {
            ctx.error_hint::<()>(
                s.value.name.at,
                format!("two scenarios are named `{}`", s.value.name.value),
                "give each scenario its own name",
            );
        }
        let share = shares.as_ref().and_then(|v: &Vec<_>| v.get(index).cloned());
        index += 1;
        scenario(ctx, s, population.is_some(), share)
    })
}

fn scenario(
    ctx: &mut Ctx<'_>,
    raw: &Spanned<raw::Scenario>,
    locust: bool,
    share: Option<load::Share>,
) -> Option<Scenario> {
    let s = &raw.value;
    let name = s.name.value.clone();
    ctx.scope.scenarios.insert(name.clone());
    let load = load::scenario_load(ctx, raw, locust, share);
    let throttle = load::throttle(ctx, &s.throttle);
    let steps = step::steps(ctx, &s.steps);
    let steps = match (&s.wait, locust) {
        (wait, true) => steps.and_then(|st| load::locust_loop(ctx, st, wait.as_ref())),
        (_, false) => steps,
    };
    scope::finish_scenario(ctx, &name);
    Some(Scenario {
        name,
        load: load?,
        throttle: throttle?,
        steps: steps?,
    })
}
