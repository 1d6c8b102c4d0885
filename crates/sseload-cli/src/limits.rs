//! The open-file limit: every stream is a socket, so `sseload run` raises
//! its soft `RLIMIT_NOFILE` to the hard limit at start-up (as Go's runtime
//! does) and says when even that is below what the plan may need.

/// Sockets kept for files, the embedded server, the metrics endpoint.
const RESERVED: u64 = 64;

/// The open-file limit after raising the soft limit to the hard one, and
/// the soft limit before (`None` where the platform has no such limit).
pub(crate) fn raise() -> Option<(u64, u64)> {
    let (before, hard) = rlimit::Resource::NOFILE.get().ok()?;
    let after = rlimit::increase_nofile_limit(hard).unwrap_or(before);
    Some((before, after))
}

/// A warning when `users` users at once could not each hold a connection.
pub(crate) fn warning(users: u64, (before, after): (u64, u64)) -> Option<String> {
    if users + RESERVED <= after {
        return None;
    }
    let raised = if after > before {
        format!(" (raised from {before} at start-up)")
    } else {
        String::new()
    };
    Some(format!(
        "warning: this run may hold up to {users} users at once, and each stream needs an open file; the open-file limit is {after}{raised}. Raise the hard limit (ulimit -Hn, LimitNOFILE=, or the container's nofile ulimit) or split the run over processes with --shard I/N"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_too_low_for_the_users_is_said_with_what_to_do() {
        assert_eq!(warning(1000, (1024, 20_000)), None);
        let text = warning(30_000, (1024, 20_000)).unwrap();
        assert!(text.contains("up to 30000 users"), "{text}");
        assert!(
            text.contains("limit is 20000 (raised from 1024 at start-up)"),
            "{text}"
        );
        assert!(text.contains("--shard I/N"), "{text}");
        let unraised = warning(2000, (1024, 1024)).unwrap();
        assert!(unraised.contains("limit is 1024. Raise"), "{unraised}");
    }

    #[test]
    fn the_soft_limit_rises_to_the_hard_one() {
        let (_, after) = raise().expect("Linux has RLIMIT_NOFILE");
        let (soft, hard) = rlimit::Resource::NOFILE.get().unwrap();
        assert_eq!((after, soft), (hard, hard));
    }
}
