//! Leaves as Python prints them: ANLS* compares numbers and booleans by their text, and the
//! reference package gets that text from Python's `str()`, so this module owns `str()` of a
//! leaf ([`python_text`]), its allocation-free form for numbers ([`python_number`]) and
//! Python's `repr(float)` ([`python_float`]), with the tests (including the fixture of
//! doubles Python printed) that pin them to Python's output.

use std::borrow::Cow;

use serde_json::Value;

/// A leaf as Python's `str()` prints it, since ANLS* compares numbers and booleans as text.
pub(super) fn python_text(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(s) => Cow::Borrowed(s),
        Value::Bool(true) => Cow::Borrowed("True"),
        Value::Bool(false) => Cow::Borrowed("False"),
        Value::Number(n) if n.is_f64() => Cow::Owned(python_float(n.as_f64().unwrap_or_default())),
        other => Cow::Owned(other.to_string()),
    }
}

/// [`python_text`] of a number, into `out` (cleared first) rather than a new string.
pub(super) fn python_number(n: &serde_json::Number, out: &mut String) {
    use std::fmt::Write;
    out.clear();
    match n.as_f64() {
        // Ryū prints the same shortest round-trip digits as Python, positional (a whole
        // number with ".0") for exactly this range, and without the formatting machinery that
        // made `Display` the costliest part of building a tree of timestamps.
        Some(x) if n.is_f64() && (1e-4..1e16).contains(&x.abs()) => {
            out.push_str(ryu::Buffer::new().format_finite(x));
        }
        Some(x) if n.is_f64() => out.push_str(&python_float(x)),
        _ => {
            let _ = write!(out, "{n}");
        }
    }
}

/// Python's `repr(float)`: the shortest round-trip digits, positional for 1e-4 ≤ |x| < 1e16,
/// otherwise scientific with a signed, at least two-digit exponent. The digits are Ryū's,
/// which break a tie between two shortest texts to even as Python does (Rust's own formatting
/// rounds 1763179833540377.25 up, to ….3, where Python prints ….2).
fn python_float(x: f64) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    if !x.is_finite() {
        return if x.is_nan() {
            "nan".into()
        } else if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(x);
    if (1e-4..1e16).contains(&x.abs()) {
        // Ryū is positional, a whole number ending in ".0", for exactly this range.
        return text.to_owned();
    }
    // Elsewhere Ryū writes `1e16`, `2.5e-7` or, down to 1e-5, `0.000015`: its digits, and the
    // exponent of the first, make Python's text.
    let (sign, text) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (mantissa, exponent) = match text.split_once('e') {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = [whole, fraction].concat();
    let significant = all.trim_start_matches('0');
    let leading_zeros = (all.len() - significant.len()) as i32;
    let digits = significant.trim_end_matches('0');
    let exponent = exponent + whole.len() as i32 - 1 - leading_zeros;
    let mantissa = if digits.len() > 1 {
        format!("{}.{}", &digits[..1], &digits[1..])
    } else {
        digits.to_owned()
    };
    let exp_sign = if exponent < 0 { "-" } else { "+" };
    format!("{sign}{mantissa}e{exp_sign}{:02}", exponent.abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_print_as_python_does() {
        for (x, text) in [
            (2848.5, "2848.5"),
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (123456789012345.6, "123456789012345.6"),
            (-2.5e20, "-2.5e+20"),
            (1e100, "1e+100"),
            (1e-5, "1e-05"),
            (-1763179833540377.2, "-1763179833540377.2"),
        ] {
            assert_eq!(python_float(x), text);
        }
    }

    #[test]
    fn floats_print_as_python_prints_them_in_the_reference_set() {
        // `scripts/python_float_repr.py`: random doubles, every scale, both sides of the
        // switches to scientific text, and halfway cases Python rounds to even.
        let fixture = include_str!("../../../../tests/fixtures/anls/float_repr.jsonl");
        let mut checked = 0;
        for line in fixture.lines() {
            let (bits, text): (String, String) = serde_json::from_str(line).unwrap();
            let x = f64::from_bits(bits.parse().unwrap());
            assert_eq!(python_float(x), text, "bits {bits}");
            let mut out = String::new();
            if let Value::Number(n) = json!(x) {
                python_number(&n, &mut out);
                assert_eq!(out, text, "bits {bits}");
            }
            checked += 1;
        }
        assert_eq!(checked, 5056);
    }

    #[test]
    fn numbers_print_into_a_buffer_as_python_text_prints_them() {
        let mut state = 7;
        let mut out = String::new();
        let mut check = |value: Value| {
            let Value::Number(n) = &value else {
                unreachable!()
            };
            python_number(n, &mut out);
            assert_eq!(out, python_text(&value), "{value}");
        };
        for x in [
            1e-4,
            0.0001,
            9.999999999999999e-5,
            1e16,
            9999999999999998.0,
            2848.5,
            3.0,
            -7.0,
            0.1,
            1e15,
            123.456e10,
            f64::MIN_POSITIVE,
            f64::MAX,
            -1e-300,
        ] {
            check(json!(x));
        }
        for _ in 0..20_000 {
            let bits = crate::rng::splitmix64(&mut state);
            let x = f64::from_bits(bits);
            if x.is_finite() && x != 0.0 {
                check(json!(x));
            }
            let scaled = (crate::rng::splitmix64(&mut state) % 2_000_000) as f64
                / 10f64.powi((bits % 24) as i32);
            check(json!(scaled));
        }
        for n in [json!(0), json!(-12), json!(u64::MAX), json!(i64::MIN)] {
            check(n);
        }
    }
}
