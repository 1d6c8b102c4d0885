//! The flags of a distributed run: which shard this process is (`--shard`,
//! `SSELOAD_SHARD`, or Kubernetes' `JOB_COMPLETION_INDEX` with `--shards`)
//! and when the shards start together (`--start-at`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use sseload_engine::Shard;

/// The furthest ahead a start time may be.
const MAX_WAIT: Duration = Duration::from_secs(24 * 3600);

/// Options of `sseload run` for runs split over processes or pods.
#[derive(Debug, clap::Args)]
pub(crate) struct ShardArgs {
    /// Run shard I of N (1-based): its stripe of every load profile, its
    /// share of the feeders' records. Also from `SSELOAD_SHARD`.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// With Kubernetes' `JOB_COMPLETION_INDEX=K` (0-based, set by an Indexed
    /// Job): run shard K+1 of N. Also from `SSELOAD_SHARDS`.
    #[arg(long, value_name = "N")]
    shards: Option<u64>,
    /// Start at this time (RFC 3339 such as 2026-11-21T18:00:00Z, or unix
    /// seconds), so that shards start together; a late start is recorded.
    #[arg(long, value_name = "TIME")]
    start_at: Option<String>,
}

/// Where the settings come from: the flags, then these variables.
pub(crate) trait Env {
    /// The variable's value, if set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub(crate) struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl ShardArgs {
    /// The shard this process runs.
    pub(crate) fn shard(&self, env: &impl Env) -> anyhow::Result<Shard> {
        if let Some(text) = &self.shard {
            return text.parse().context("--shard");
        }
        if let Some(text) = env.var("SSELOAD_SHARD") {
            return text.parse().context("SSELOAD_SHARD");
        }
        let count =
            match (self.shards, env.var("SSELOAD_SHARDS")) {
                (Some(n), _) => Some(n),
                (None, Some(text)) => Some(text.trim().parse().with_context(|| {
                    format!("SSELOAD_SHARDS={text:?} is not a number of shards")
                })?),
                (None, None) => None,
            };
        let Some(count) = count else {
            return Ok(Shard::WHOLE);
        };
        let Some(index) = env.var("JOB_COMPLETION_INDEX") else {
            bail!(
                "--shards {count} needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job); elsewhere use --shard I/{count}"
            );
        };
        let k: u64 = index
            .trim()
            .parse()
            .with_context(|| format!("JOB_COMPLETION_INDEX={index:?} is not a number"))?;
        Shard::new(k + 1, count)
            .with_context(|| format!("JOB_COMPLETION_INDEX={k} with --shards {count}"))
    }

    /// When to start, checked against `now`.
    pub(crate) fn start_at(&self, now: SystemTime) -> anyhow::Result<Option<SystemTime>> {
        let Some(text) = &self.start_at else {
            return Ok(None);
        };
        let at = parse_time(text).with_context(|| format!("--start-at {text:?}"))?;
        if at.duration_since(now).is_ok_and(|wait| wait > MAX_WAIT) {
            bail!("--start-at {text:?} is more than 24 hours away; check the clock or the value");
        }
        Ok(Some(at))
    }
}

/// Unix seconds (`1795280000`, `1795280000.5`) or RFC 3339 (`…Z`).
fn parse_time(text: &str) -> anyhow::Result<SystemTime> {
    let text = text.trim();
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || c == '.') {
        let secs: f64 = text.parse().context("not a number of unix seconds")?;
        let since = Duration::try_from_secs_f64(secs).context("not a number of unix seconds")?;
        return Ok(UNIX_EPOCH + since);
    }
    humantime::parse_rfc3339_weak(text).map_err(|e| {
        anyhow::anyhow!("{e}: expected RFC 3339 in UTC (2026-11-21T18:00:00Z) or unix seconds")
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct Vars(HashMap<&'static str, &'static str>);

    impl Env for Vars {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| (*v).to_owned())
        }
    }

    fn args(shard: Option<&str>, shards: Option<u64>, start_at: Option<&str>) -> ShardArgs {
        ShardArgs {
            shard: shard.map(str::to_owned),
            shards,
            start_at: start_at.map(str::to_owned),
        }
    }

    fn vars(pairs: &[(&'static str, &'static str)]) -> Vars {
        Vars(pairs.iter().copied().collect())
    }

    fn shard(a: &ShardArgs, env: &Vars) -> Result<String, String> {
        a.shard(env)
            .map(|s| s.to_string())
            .map_err(|e| format!("{e:#}"))
    }

    #[test]
    fn the_flag_wins_then_the_variables() {
        let env = vars(&[("SSELOAD_SHARD", "2/4"), ("JOB_COMPLETION_INDEX", "0")]);
        assert_eq!(
            shard(&args(Some("3/5"), None, None), &env),
            Ok("3/5".into())
        );
        assert_eq!(shard(&args(None, Some(3), None), &env), Ok("2/4".into()));
        let k8s = vars(&[("JOB_COMPLETION_INDEX", "2")]);
        assert_eq!(shard(&args(None, Some(3), None), &k8s), Ok("3/3".into()));
        let both = vars(&[("JOB_COMPLETION_INDEX", "0"), ("SSELOAD_SHARDS", "4")]);
        assert_eq!(shard(&args(None, None, None), &both), Ok("1/4".into()));
        assert_eq!(shard(&args(None, None, None), &k8s), Ok("1/1".into()));
    }

    #[test]
    fn bad_shards_name_where_they_came_from() {
        let none = vars(&[]);
        assert_eq!(
            shard(&args(Some("4/3"), None, None), &none).unwrap_err(),
            "--shard: shard 4/3 is out of range: I must be from 1 to N, and N at least 1"
        );
        assert_eq!(
            shard(&args(None, Some(3), None), &none).unwrap_err(),
            "--shards 3 needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job); elsewhere use --shard I/3"
        );
        let past = vars(&[("JOB_COMPLETION_INDEX", "3")]);
        assert_eq!(
            shard(&args(None, Some(3), None), &past).unwrap_err(),
            "JOB_COMPLETION_INDEX=3 with --shards 3: shard 4/3 is out of range: I must be from 1 to N, and N at least 1"
        );
        let bad = vars(&[("SSELOAD_SHARD", "x")]);
        assert_eq!(
            shard(&args(None, None, None), &bad).unwrap_err(),
            "SSELOAD_SHARD: shard `x` is not I/N (for example 2/3)"
        );
    }

    #[test]
    fn start_times_read_as_rfc3339_or_unix_seconds_and_far_ones_are_refused() {
        let now = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        let at = |t: &str| args(None, None, Some(t)).start_at(now);
        assert_eq!(
            at("1795000060").unwrap(),
            Some(UNIX_EPOCH + Duration::from_secs(1_795_000_060))
        );
        assert_eq!(
            at("1795000060.5").unwrap(),
            Some(UNIX_EPOCH + Duration::from_millis(1_795_000_060_500))
        );
        assert_eq!(
            at("2026-11-18T11:07:40Z").unwrap(),
            Some(UNIX_EPOCH + Duration::from_secs(1_795_000_060))
        );
        assert!(
            at("1794000000").unwrap().is_some(),
            "a past time runs, late"
        );
        let far = format!("{:#}", at("1796000000").unwrap_err());
        assert!(far.contains("more than 24 hours away"), "{far}");
        let bad = format!("{:#}", at("tomorrow").unwrap_err());
        assert!(bad.starts_with("--start-at \"tomorrow\": "), "{bad}");
        assert!(bad.contains("expected RFC 3339"), "{bad}");
    }
}
