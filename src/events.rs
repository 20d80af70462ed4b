//! Finds the events in an output and reads their times and labels.
//!
//! Times are kept in integer microseconds, parsed from the number's decimal text rather than
//! from its binary value, so thresholds are decimal-exact: 2848.8 − 2848.5 is exactly 0.3 s
//! here, not 0.3000000000001819. Models also write times as strings ("2848.5", "47:28.5",
//! "1:02:03.25"); those are parsed too, and what cannot be parsed is counted.

use serde_json::Value;

use crate::spec::EventsSpec;

/// Microseconds per second.
pub const MICROS: i64 = 1_000_000;

/// The label given to an event that has none, so it still shows in the confusion matrix.
pub const UNLABELLED: &str = "(unlabelled)";

/// One event of an output.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Position in the output's event array.
    pub index: usize,
    /// The time in microseconds; `None` when absent, null or unparseable (the event can then
    /// match nothing).
    pub time_us: Option<i64>,
    /// The label; [`UNLABELLED`] when absent or null.
    pub label: String,
    /// The event itself, for field comparisons.
    pub value: Value,
}

/// The events of one output.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Events {
    /// The events, in output order.
    pub events: Vec<Event>,
    /// Whether the pointer reached an array. A parsed output where it does not (an object
    /// root, a string) has no events.
    pub reached_array: bool,
    /// Events whose time field was present but could not be read as a time.
    pub unparseable_times: usize,
}

/// Reads the events of `output` (`None` for an output that scores as empty).
pub fn extract(output: Option<&Value>, spec: &EventsSpec) -> Events {
    let Some(output) = output else {
        return Events::default();
    };
    let Some(Value::Array(items)) = output.pointer(&spec.pointer) else {
        return Events::default();
    };
    let mut unparseable_times = 0;
    let events = items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let time_value = item.get(&spec.time).filter(|v| !v.is_null());
            let time_us = time_value.and_then(parse_time);
            if time_value.is_some() && time_us.is_none() {
                unparseable_times += 1;
            }
            Event {
                index,
                time_us,
                label: label_of(item.get(&spec.label)),
                value: item.clone(),
            }
        })
        .collect();
    Events {
        events,
        reached_array: true,
        unparseable_times,
    }
}

fn label_of(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => UNLABELLED.to_owned(),
        Some(other) => other.to_string(),
    }
}

/// Reads a time in seconds: a JSON number, or a string holding seconds (`"2848.5"`),
/// minutes and seconds (`"47:28.5"`) or hours, minutes and seconds (`"1:02:03.25"`).
/// Returns microseconds, rounded half away from zero at the seventh decimal.
pub fn parse_time(value: &Value) -> Option<i64> {
    match value {
        // A JSON number's text is its shortest round-trip decimal: parse that, not the binary.
        Value::Number(n) => parse_decimal_us(&n.to_string()),
        Value::String(s) => parse_clock(s.trim()),
        _ => None,
    }
}

fn parse_clock(text: &str) -> Option<i64> {
    let text = text.strip_suffix('s').unwrap_or(text).trim_end();
    let parts: Vec<&str> = text.split(':').collect();
    let (hours, minutes, seconds) = match parts.as_slice() {
        [s] => return parse_decimal_us(s),
        [m, s] => ("0", *m, *s),
        [h, m, s] => (*h, *m, *s),
        _ => return None,
    };
    let whole = |t: &str| -> Option<i64> {
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) || t.len() > 6 {
            return None;
        }
        t.parse().ok()
    };
    let (h, m) = (whole(hours)?, whole(minutes)?);
    let s = parse_decimal_us(seconds)?;
    // In a clock reading the later fields are bounded: 47:75 is not a time.
    if !(0..60 * MICROS).contains(&s) || (parts.len() == 3 && m >= 60) {
        return None;
    }
    Some((h * 3600 + m * 60) * MICROS + s)
}

/// Parses a plain decimal (`-12`, `2848.5`, `1e3`, `2.5E-1`) exactly into microseconds.
fn parse_decimal_us(text: &str) -> Option<i64> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], parse_exponent(&unsigned[i + 1..])?),
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part
        .bytes()
        .chain(frac_part.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Some(0);
    }
    // value = digits × 10^shift microseconds.
    let shift = i64::from(exponent) - i64::try_from(frac_part.len()).ok()? + 6;
    let length = i64::try_from(digits.len()).ok()?;
    if shift >= 0 {
        // At most 18 digits keep the result inside i64.
        if length + shift > 18 {
            return None;
        }
        let value = digits.parse::<i64>().ok()? * 10i64.pow(u32::try_from(shift).ok()?);
        return Some(if negative { -value } else { value });
    }
    let drop = -shift;
    if drop > length {
        // Below a tenth of a microsecond: rounds to 0.
        return Some(0);
    }
    if length - drop > 18 {
        return None;
    }
    Some(round_div(digits, usize::try_from(drop).ok()?, negative))
}

/// An exponent's digits, with a sign. One beyond a billion only decides between 0 (below a
/// microsecond) and too large, so it is clamped rather than refused: `0.E-21000052008` is 0.
fn parse_exponent(text: &str) -> Option<i32> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.trim_start_matches('0');
    let value = if magnitude.len() > 9 {
        1_000_000_000
    } else {
        magnitude.parse().unwrap_or(0)
    };
    Some(if negative { -value } else { value })
}

/// `digits` with its last `drop` digits removed, rounded half away from zero, signed.
fn round_div(digits: &str, drop: usize, negative: bool) -> i64 {
    let keep = &digits[..digits.len() - drop];
    let first_dropped = digits.as_bytes()[digits.len() - drop];
    let kept: i64 = if keep.is_empty() {
        0
    } else {
        keep.parse().unwrap_or(i64::MAX / 2)
    };
    let rounded = kept + i64::from(first_dropped >= b'5');
    if negative { -rounded } else { rounded }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(pointer: &str) -> EventsSpec {
        EventsSpec {
            pointer: pointer.into(),
            time: "t".into(),
            label: "c".into(),
            tolerance: 1.0,
            sweep: vec![],
        }
    }

    #[test]
    fn exponents_beyond_i32_are_zero_or_too_large() {
        // Found by the `time` fuzz target: the exponent overflowed i32 and 0 was refused.
        assert_eq!(parse_time(&json!("0.E-21000052008")), Some(0));
        assert_eq!(parse_time(&json!("1e-99999999999")), Some(0));
        assert_eq!(parse_time(&json!("0e99999999999")), Some(0));
        assert_eq!(parse_time(&json!("1e99999999999")), None);
        assert_eq!(parse_time(&json!("1e+2")), Some(100_000_000));
        assert_eq!(parse_time(&json!("1e")), None);
        assert_eq!(parse_time(&json!("1e+-2")), None);
    }

    #[test]
    fn times_are_decimal_exact() {
        let a = parse_time(&json!(2848.8)).unwrap();
        let b = parse_time(&json!(2848.5)).unwrap();
        assert_eq!(a - b, 300_000);
        assert_eq!(parse_time(&json!(0.1)), Some(100_000));
        assert_eq!(parse_time(&json!(12)), Some(12_000_000));
        assert_eq!(parse_time(&json!(-1.25)), Some(-1_250_000));
        assert_eq!(parse_time(&json!(1e3)), Some(1_000_000_000));
        assert_eq!(parse_time(&json!(0.0000004)), Some(0));
        assert_eq!(parse_time(&json!(0.0000005)), Some(1));
        assert_eq!(parse_time(&json!(1.2345675)), Some(1_234_568));
    }

    #[test]
    fn times_as_strings() {
        assert_eq!(parse_time(&json!("2848.5")), Some(2_848_500_000));
        assert_eq!(parse_time(&json!("47:28.5")), Some(2_848_500_000));
        assert_eq!(parse_time(&json!("1:02:03.25")), Some(3_723_250_000));
        assert_eq!(parse_time(&json!(" 12.5s ")), Some(12_500_000));
        for bad in [
            "", "abc", "1:2:3:4", "47:75", "1:60:00", "4 7", "1e", ".", "1:-2",
        ] {
            assert_eq!(parse_time(&json!(bad)), None, "{bad:?}");
        }
        assert_eq!(parse_time(&json!(true)), None);
        assert_eq!(
            parse_time(&json!(1e300)),
            None,
            "out of range is unparseable, not a panic"
        );
    }

    #[test]
    fn extraction_follows_the_pointer_and_counts_what_it_cannot_read() {
        let out = json!({"events": [
            {"t": 1.5, "c": "A"},
            {"t": "0:02", "c": null},
            {"t": "soon", "c": "B"},
            {"t": null, "c": 3},
            "not an object"
        ]});
        let events = extract(Some(&out), &spec("/events"));
        assert!(events.reached_array);
        let summary: Vec<(Option<i64>, &str)> = events
            .events
            .iter()
            .map(|e| (e.time_us, e.label.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (Some(1_500_000), "A"),
                (Some(2_000_000), UNLABELLED),
                (None, "B"),
                (None, "3"),
                (None, UNLABELLED)
            ]
        );
        assert_eq!(events.unparseable_times, 1);
    }

    #[test]
    fn no_array_means_no_events() {
        let events = extract(Some(&json!({"events": []})), &spec(""));
        assert!(!events.reached_array && events.events.is_empty());
        assert!(!extract(Some(&json!("text")), &spec("")).reached_array);
        assert!(!extract(None, &spec("")).reached_array);
    }
}
