//! Finds the events in an output and reads their times and labels.
//!
//! Times are kept in integer microseconds, parsed from the number's decimal text rather than
//! from its binary value, so thresholds are decimal-exact: 2848.8 − 2848.5 is exactly 0.3 s
//! here, not 0.3000000000001819. Models also write times as strings ("2848.5", "47:28.5",
//! "1:02:03.25"); those are parsed too, and what cannot be parsed is counted.

use std::borrow::Cow;
use std::fmt::Write;

use serde_json::Value;

use crate::spec::EventsSpec;

/// Microseconds per second.
pub const MICROS: i64 = 1_000_000;

/// The label given to an event that has none, so it still shows in the confusion matrix.
pub const UNLABELLED: &str = "(unlabelled)";

/// One event of an output, borrowed from it: scoring reads events many times and keeps none.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'a> {
    /// Position in the output's event array.
    pub index: usize,
    /// The time in microseconds; `None` when absent, null or unparseable (the event can then
    /// match nothing).
    pub time_us: Option<i64>,
    /// The label; [`UNLABELLED`] when absent or null; cut when long ([`crate::bounded::label`]).
    pub label: Cow<'a, str>,
    /// The event itself, for field comparisons.
    pub value: &'a Value,
}

/// The events of one output.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Events<'a> {
    /// The events, in output order.
    pub events: Vec<Event<'a>>,
    /// Whether the pointer reached an array. A parsed output where it does not (an object
    /// root, a string) has no events.
    pub reached_array: bool,
    /// Events whose time field was present but could not be read as a time.
    pub unparseable_times: usize,
}

/// Reads the events of `output` (`None` for an output that scores as empty).
pub fn extract<'a>(output: Option<&'a Value>, spec: &EventsSpec) -> Events<'a> {
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
                value: item,
            }
        })
        .collect();
    Events {
        events,
        reached_array: true,
        unparseable_times,
    }
}

fn label_of(value: Option<&Value>) -> Cow<'_, str> {
    crate::bounded::label(match value {
        Some(Value::String(s)) => Cow::Borrowed(s),
        None | Some(Value::Null) => Cow::Borrowed(UNLABELLED),
        Some(other) => Cow::Owned(other.to_string()),
    })
}

/// Reads a time in seconds: a JSON number, or a string holding seconds (`"2848.5"`),
/// minutes and seconds (`"47:28.5"`) or hours, minutes and seconds (`"1:02:03.25"`).
/// Returns microseconds, rounded half away from zero at the seventh decimal.
pub fn parse_time(value: &Value) -> Option<i64> {
    match value {
        // A JSON number's text is its shortest round-trip decimal: parse that, not the binary.
        Value::Number(n) => {
            if let Some(us) = n.as_f64().filter(|_| n.is_f64()).and_then(whole_micros) {
                return Some(us);
            }
            // This runs for every event's time: the text goes on the stack, not the heap.
            let mut text = NumberText::default();
            if write!(text, "{n}").is_ok() {
                parse_decimal_us(text.as_str())
            } else {
                parse_decimal_us(&n.to_string())
            }
        }
        Value::String(s) => parse_clock(s.trim()),
        _ => None,
    }
}

/// `x` seconds in microseconds, as its text reads, without writing the text: when a decimal of
/// at most six places reads as `x`, as times mostly do. Below 10⁹ s a double's half-ulp is under
/// 6·10⁻⁸ s, so every decimal that reads as `x` (its shortest text among them) is within
/// 1.2·10⁻⁷ s of that one, and rounds to the same microsecond.
fn whole_micros(x: f64) -> Option<i64> {
    if x.is_nan() || x.abs() >= 1e9 {
        return None;
    }
    // Under 10¹⁵ the product is within 1/8 of x × 10⁶, so this is that decimal, if any.
    let us = (x * 1e6).round();
    // The quotient is correctly rounded: it is x exactly when the decimal reads as x.
    #[allow(clippy::float_cmp)]
    let reads_as_x = us / 1e6 == x;
    reads_as_x.then_some(us as i64)
}

/// A number's text in a fixed buffer; writing fails beyond it (serde_json prints at most 24
/// bytes for an f64 and 20 for an integer).
#[derive(Default)]
struct NumberText {
    bytes: [u8; 32],
    len: usize,
}

impl NumberText {
    fn as_str(&self) -> &str {
        // Only whole `str`s are appended, so the bytes are UTF-8.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl std::fmt::Write for NumberText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(std::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
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
    // The significant digits: both parts run together, leading zeros dropped.
    let digits = || {
        int_part
            .bytes()
            .chain(frac_part.bytes())
            .skip_while(|&b| b == b'0')
    };
    let length = digits().count();
    if length == 0 {
        return Some(0);
    }
    // value = digits × 10^shift microseconds.
    let shift = i64::from(exponent) - i64::try_from(frac_part.len()).ok()? + 6;
    let length = i64::try_from(length).ok()?;
    // At most 18 digits are ever read into an i64 below, so they cannot overflow it.
    let read = |count: usize| {
        digits()
            .take(count)
            .fold(0i64, |value, b| value * 10 + i64::from(b - b'0'))
    };
    if shift >= 0 {
        if length + shift > 18 {
            return None;
        }
        let value = read(usize::try_from(length).ok()?) * 10i64.pow(u32::try_from(shift).ok()?);
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
    // Rounded half away from zero at the first dropped digit.
    let keep = usize::try_from(length - drop).ok()?;
    let first_dropped = digits().nth(keep).unwrap_or(b'0');
    let rounded = read(keep) + i64::from(first_dropped >= b'5');
    Some(if negative { -rounded } else { rounded })
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
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
            .map(|e| (e.time_us, e.label.as_ref()))
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
        let object = json!({"events": []});
        let events = extract(Some(&object), &spec(""));
        assert!(!events.reached_array && events.events.is_empty());
        assert!(!extract(Some(&json!("text")), &spec("")).reached_array);
        assert!(!extract(None, &spec("")).reached_array);
    }

    /// Microseconds by the text of `digits` × 10^(exponent − frac_len + 6), built as a string
    /// and read back: the straightforward reading the digit-by-digit one replaced.
    fn by_string(int_part: &str, frac_part: &str, exponent: i32, negative: bool) -> Option<i64> {
        let digits = format!("{int_part}{frac_part}");
        let digits = digits.trim_start_matches('0');
        if digits.is_empty() {
            return Some(0);
        }
        let shift = i64::from(exponent) - frac_part.len() as i64 + 6;
        let length = digits.len() as i64;
        let value = if shift >= 0 {
            if length + shift > 18 {
                return None;
            }
            digits.parse::<i64>().ok()? * 10i64.pow(shift as u32)
        } else if -shift > length {
            0
        } else if length + shift > 18 {
            return None;
        } else {
            let keep = &digits[..(length + shift) as usize];
            let first_dropped = digits.as_bytes()[(length + shift) as usize];
            keep.parse::<i64>().unwrap_or(0) + i64::from(first_dropped >= b'5')
        };
        Some(if negative { -value } else { value })
    }

    proptest! {
        #[test]
        fn decimals_read_as_their_digit_string(
            int_part in "[0-9]{0,20}",
            frac_part in "[0-9]{0,20}",
            exponent in -30i32..30,
            negative in any::<bool>(),
        ) {
            prop_assume!(!(int_part.is_empty() && frac_part.is_empty()));
            let text = format!("{}{int_part}.{frac_part}e{exponent}", if negative { "-" } else { "" });
            prop_assert_eq!(
                parse_decimal_us(&text),
                by_string(&int_part, &frac_part, exponent, negative)
            );
        }

        #[test]
        fn times_read_as_their_text_with_or_without_writing_it(
            micros in -999_999_999_999_999i64..999_999_999_999_999,
            places in 0u32..10,
            nudge in -3i64..4,
        ) {
            // Decimals of 0 to 9 places across the range, and the doubles next to them.
            let x = micros as f64 / 10f64.powi(places as i32);
            let bits = x.to_bits() as i64 + nudge;
            for x in [x, f64::from_bits(bits as u64), x + 5e-7, x - 5e-7, 1e9 - x.abs() / 1e6] {
                if !x.is_finite() {
                    continue;
                }
                let number = json!(x);
                prop_assert_eq!(parse_time(&number), parse_decimal_us(&number.to_string()), "{}", number);
            }
        }

        #[test]
        fn numbers_read_as_their_text(n in any::<f64>(), i in any::<i64>()) {
            for number in [json!(n), json!(i)] {
                prop_assert_eq!(parse_time(&number), parse_decimal_us(&number.to_string()));
            }
        }
    }
}
