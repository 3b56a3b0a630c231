//! Durations written as text in macro keys: `"250ms"`, `"30s"`, `"2m"`, `"1h"`.

/// Reads a duration such as `"250ms"`, `"1.5s"`, `"2m"` or `"1h"` into
/// milliseconds. A number needs its unit.
///
/// ```
/// use fastagentic_rules::duration::parse_duration_ms;
/// assert_eq!(parse_duration_ms("250ms"), Ok(250));
/// assert_eq!(parse_duration_ms("1.5s"), Ok(1500));
/// assert_eq!(parse_duration_ms("2m"), Ok(120_000));
/// assert!(parse_duration_ms("30").unwrap_err().contains("unit"));
/// ```
pub fn parse_duration_ms(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let unit_ms = match unit.trim() {
        "ms" => 1.0,
        "s" => 1_000.0,
        "m" | "min" => 60_000.0,
        "h" => 3_600_000.0,
        "" => {
            return Err(format!(
                "duration `{text}` needs a unit: write `{number}ms` or `{number}s` (units: ms, s, m, h)"
            ));
        }
        other => {
            return Err(format!(
                "unknown duration unit `{other}` in `{text}`; expected ms, s, m or h, as in `250ms` or `30s`"
            ));
        }
    };
    let value: f64 = number.parse().map_err(|_| {
        format!("duration `{text}` does not start with a number: write it like `250ms` or `30s`")
    })?;
    let ms = value * unit_ms;
    if !ms.is_finite() || ms > u64::MAX as f64 {
        return Err(format!("duration `{text}` is too large"));
    }
    Ok(ms.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_units_and_rejects_the_rest() {
        assert_eq!(parse_duration_ms(" 30s "), Ok(30_000));
        assert_eq!(parse_duration_ms("1h"), Ok(3_600_000));
        assert_eq!(parse_duration_ms("0ms"), Ok(0));
        assert!(
            parse_duration_ms("5 parsecs")
                .unwrap_err()
                .contains("unknown duration unit")
        );
        assert!(parse_duration_ms("ms").unwrap_err().contains("number"));
        assert!(parse_duration_ms("1e999s").is_err());
    }
}
