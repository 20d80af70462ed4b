//! Renders `report.html`: one self-contained page (inline CSS, SVG and a little script; no
//! network) with the summary, gates, per-class table and bars, the confusion-matrix heatmap,
//! the timestamp-error histogram, validity and schema-error breakdowns and the worst examples
//! side by side.
//!
//! The page is a minijinja template (`report.html` beside this file) filled from the
//! serialized [`Report`]; the template only lays numbers out. Values from model output are
//! HTML-escaped by the template engine.

use minijinja::value::{Serde, Value};
use minijinja::{Environment, context};

use crate::model::Report;

/// The file name of the HTML report.
pub const REPORT_HTML: &str = "report.html";

const TEMPLATE: &str = include_str!("report.html");

/// A number with three decimals (integers as they are), `—` for none.
fn num(value: Value) -> String {
    if value.is_none() || value.is_undefined() {
        return "—".to_owned();
    }
    // Counts stay integers; rates, even 1.0, get three decimals.
    if let Ok(i) = i64::try_from(value.clone())
        && value.as_str().is_none()
        && !value.to_string().contains('.')
    {
        return i.to_string();
    }
    f64::try_from(value).map_or_else(|_| "—".to_owned(), |v| format!("{v:.3}"))
}

/// A number with an explicit sign and three decimals, `—` for none.
fn signed(value: Value) -> String {
    if value.is_none() || value.is_undefined() {
        return "—".to_owned();
    }
    f64::try_from(value).map_or_else(|_| "—".to_owned(), |v| format!("{v:+.3}"))
}

/// An event object as `key: value` pairs, the time and label keys first; strings unquoted.
fn event(value: Value, time: Option<String>, label: Option<String>) -> String {
    if value.is_none() || value.is_undefined() {
        return String::new();
    }
    let Ok(keys) = value.try_iter() else {
        return value.to_string();
    };
    if value.as_object().is_none() || value.as_str().is_some() {
        return value.to_string();
    }
    let first: Vec<Value> = [time, label]
        .into_iter()
        .flatten()
        .map(Value::from)
        .collect();
    let mut ordered: Vec<Value> = first
        .iter()
        .filter(|k| value.get_item(k).is_ok_and(|v| !v.is_undefined()))
        .cloned()
        .collect();
    ordered.extend(keys.filter(|k| !first.contains(k)));
    ordered
        .into_iter()
        .map(|key| {
            let item = value.get_item(&key).unwrap_or_default();
            let text = match item.as_str() {
                Some(s) => s.to_owned(),
                None if item.is_none() => "null".to_owned(),
                None => item.to_string(),
            };
            format!("{key}: {text}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The HTML page.
pub fn render(report: &Report) -> String {
    let mut env = Environment::new();
    env.add_filter("num", num);
    env.add_filter("signed", signed);
    env.add_filter("event", event);
    env.add_template("report.html", TEMPLATE)
        .expect("the bundled template parses");
    let template = env
        .get_template("report.html")
        .expect("the template was just added");
    template
        .render(context! {
            r => Value::from(Serde(report)),
            missing_notice => report.summary.missing_notice(),
        })
        .expect("the bundled template renders every report")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        assert_eq!(num(Value::from(0.87654)), "0.877");
        assert_eq!(num(Value::from(12)), "12");
        assert_eq!(num(Value::from(())), "—");
        assert_eq!(signed(Value::from(1.2)), "+1.200");
        assert_eq!(signed(Value::from(-0.25)), "-0.250");
        let ev = Value::from(Serde(
            serde_json::json!({"t": 1.5, "c": "FG_MAKE", "p": null}),
        ));
        assert_eq!(event(ev.clone(), None, None), "c: FG_MAKE, p: null, t: 1.5");
        assert_eq!(
            event(ev, Some("t".into()), Some("c".into())),
            "t: 1.5, c: FG_MAKE, p: null"
        );
    }
}
