//! The Python values a scorer is handed, turned into what the engine reads: an expected output
//! as a JSON value, a model's output as the text of a plain prediction line.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// An expected output as taken from Python, before it is read: a JSON text is parsed off the
/// GIL, with the other examples.
pub(crate) enum Expected {
    /// A `str`: JSON text, parsed as the CLI parses an expected line's answer.
    Text(String),
    /// Any other Python value, already converted.
    Value(Value),
}

impl Expected {
    /// The expected value, or the message of why it is not one (without the example's
    /// place, which the caller puts first: formatted only when there is an error).
    pub(crate) fn read(self) -> Result<Value, String> {
        match self {
            Expected::Value(value) => Ok(value),
            Expected::Text(text) => serde_json::from_str(&text).map_err(|e| {
                format!(
                    "a str is read as JSON text, and this one is not JSON ({e}); pass the expected output as JSON text or as a Python value (dict, list, str, int, float, bool, None): a string value as JSON text keeps its quotes ('\"refund\"')"
                )
            }),
        }
    }
}

/// Takes example `at`'s expected output: a `str` is JSON text, anything else a Python value
/// made of JSON's types.
pub(crate) fn expected(obj: &Bound<'_, PyAny>, at: &str) -> Result<Expected, String> {
    if let Ok(text) = obj.cast::<PyString>() {
        return text
            .to_cow()
            .map(|t| Expected::Text(t.into_owned()))
            .map_err(|e| format!("{at}: {e}"));
    }
    let mut pointer = String::new();
    to_json(obj, &mut pointer)
        .map(Expected::Value)
        .map_err(|message| {
            let place = if pointer.is_empty() {
                String::new()
            } else {
                format!(" at {pointer}")
            };
            format!("{at}{place}: {message}; expected a JSON value: dict (str keys), list, tuple, str, int, float, bool or None")
        })
}

/// A Python value as JSON, strictly: where a value has no JSON form the message says what
/// it is and `pointer` where it is, rather than a quiet `null` (serde's reading of NaN).
fn to_json(obj: &Bound<'_, PyAny>, pointer: &mut String) -> Result<Value, String> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // bool before int: Python's bool is an int.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.cast::<PyInt>().is_ok() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        // Beyond 64 bits, as JSON text of the same digits reads: a float.
        let f: f64 = obj
            .extract()
            .map_err(|_| "an int too large for a float".to_owned())?;
        return Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| "an int too large for a float".to_owned());
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let f = f.value();
        return Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| format!("the float {f}, which JSON cannot hold"));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return s
            .to_cow()
            .map(|s| Value::String(s.into_owned()))
            .map_err(|e| e.to_string());
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = Map::with_capacity(dict.len());
        for (key, value) in dict.iter() {
            let Ok(key) = key.cast::<PyString>() else {
                return Err(format!("a dict key of type {}", type_name(&key)));
            };
            let key = key.to_cow().map_err(|e| e.to_string())?.into_owned();
            let len = pointer.len();
            pointer.push('/');
            pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            map.insert(key, to_json(&value, pointer)?);
            pointer.truncate(len);
        }
        return Ok(Value::Object(map));
    }
    let items = |iter: &mut dyn Iterator<Item = Bound<'_, PyAny>>, pointer: &mut String| {
        iter.enumerate()
            .map(|(i, item)| {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                let value = to_json(&item, pointer)?;
                pointer.truncate(len);
                Ok(value)
            })
            .collect::<Result<Vec<Value>, String>>()
            .map(Value::Array)
    };
    if let Ok(list) = obj.cast::<PyList>() {
        return items(&mut list.iter(), pointer);
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return items(&mut tuple.iter(), pointer);
    }
    Err(format!("a value of type {}", type_name(obj)))
}

/// A model's output: its text, or `None` for no output at all (no prediction, which scores
/// as `missing`).
pub(crate) fn output(obj: &Bound<'_, PyAny>, at: &str) -> Result<Option<String>, String> {
    if obj.is_none() {
        return Ok(None);
    }
    match obj.cast::<PyString>() {
        Ok(text) => text
            .to_cow()
            .map(|t| Some(t.into_owned()))
            .map_err(|e| format!("{at}: {e}")),
        Err(_) => Err(format!(
            "{at}: expected the model's output text (str), or None for no output, got {}",
            type_name(obj)
        )),
    }
}

/// The name of a Python value's type, for messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "an object".into())
}
