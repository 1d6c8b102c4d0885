//! Values shared by the subcommands' flags, read one way everywhere, with
//! one wording for what is wrong.

use std::time::Duration;

/// A duration with a unit: `500ms`, `10s`, `1.5s`, `2m`, `1h`.
pub(crate) fn duration(text: &str) -> Result<Duration, String> {
    let invalid = || {
        format!(
            "invalid duration {text:?}: expected a number and a unit (ms, s, m, h), like 10s or 500ms"
        )
    };
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(invalid)?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().map_err(|_| invalid())?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return Err(invalid()),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| invalid())
}

/// A duration longer than zero (a timeout, a run's length, an interval).
pub(crate) fn positive_duration(text: &str) -> Result<Duration, String> {
    match duration(text)? {
        zero if zero.is_zero() => Err(format!(
            "invalid duration {text:?}: it must be longer than zero"
        )),
        d => Ok(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_their_units_and_bad_ones_are_named() {
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(duration("0s"), Ok(Duration::ZERO));
        let expected = "expected a number and a unit (ms, s, m, h), like 10s or 500ms";
        for bad in ["5 parsecs", "10", "s", "", "1.2.3s", "5x"] {
            assert_eq!(
                duration(bad).unwrap_err(),
                format!("invalid duration {bad:?}: {expected}")
            );
        }
        assert_eq!(
            positive_duration("0ms").unwrap_err(),
            "invalid duration \"0ms\": it must be longer than zero"
        );
        assert_eq!(positive_duration("1ms"), Ok(Duration::from_millis(1)));
    }
}
