//! How numbers read in every output: a few significant digits, units spelled
//! the same way everywhere.

/// A number with as many decimals as its size deserves: `1234`, `56.7`, `8.91`, `0.012`.
pub(crate) fn number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    if a >= 100.0 || (a == a.trunc() && a < 1e15) {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// A value and its unit: `12.5 ms`, `3.2 %`, `40 /s`, `7`.
pub(crate) fn with_unit(v: f64, unit: &str) -> String {
    match unit {
        "" => number(v),
        "%" => format!("{}%", number(v)),
        unit => format!("{} {unit}", number(v)),
    }
}

/// A byte count: `812 B`, `14.2 KiB`, `3.10 MiB`.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{} {}", number(v), UNITS[unit])
}

/// A wall-clock instant (ms since the Unix epoch) as `2026-11-21 15:42:06 UTC`.
pub(crate) fn utc(ms: u64) -> String {
    iso(ms).replacen('T', " ", 1) + " UTC"
}

/// A wall-clock instant (ms since the Unix epoch) as ISO 8601 without zone: `2026-11-21T15:42:06`.
pub(crate) fn iso(ms: u64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    let text = humantime::format_rfc3339_seconds(at).to_string();
    text.trim_end_matches('Z').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_a_few_digits() {
        assert_eq!(number(1234.0), "1234");
        assert_eq!(number(56.78), "56.8");
        assert_eq!(number(8.914), "8.91");
        assert_eq!(number(0.0123), "0.012");
        assert_eq!(with_unit(3.25, "%"), "3.25%");
        assert_eq!(with_unit(12.0, "ms"), "12 ms");
    }

    #[test]
    fn bytes_use_binary_units() {
        assert_eq!(bytes(812), "812 B");
        assert_eq!(bytes(14_540), "14.2 KiB");
        assert_eq!(bytes(3 * 1024 * 1024), "3 MiB");
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_795_275_726_000), "2026-11-21 15:42:06 UTC");
        assert_eq!(iso(1_795_275_726_000), "2026-11-21T15:42:06");
    }
}
