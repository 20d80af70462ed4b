//! Joins predictions to the expected examples they answer.
//!
//! By default lines join by key: by the explicit keys (`id`, `key`, `custom_id`) when every
//! line on both sides has one, otherwise by the hash of the request's user turns when every
//! line on both sides carries them. `--join line` pairs them by position instead. Provider
//! outputs come in any order, so position is used only when asked for.

use std::collections::HashMap;

use super::{Example, Prediction};
use crate::error::{Error, Location, Result};

/// How predictions are paired with examples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JoinMode {
    /// By explicit key, or by request hash where there are no explicit keys.
    #[default]
    Key,
    /// The n-th prediction answers the n-th example.
    Line,
}

/// Which key a keyed join used; reported so a user can see how lines were paired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinedBy {
    /// `id` / `key` / `custom_id`.
    ExplicitKey,
    /// The hash of the request's user turns.
    RequestHash,
    /// Line order (`--join line`).
    LineOrder,
}

/// An example and the prediction joined to it, if any.
#[derive(Debug, Clone)]
pub struct Case {
    /// The expected side.
    pub example: Example,
    /// The prediction, or `None` when the example is *missing* one.
    pub prediction: Option<Prediction>,
}

/// The result of joining.
#[derive(Debug, Clone)]
pub struct Joined {
    /// One case per expected example, in expected-file order.
    pub cases: Vec<Case>,
    /// Predictions no example asked for, in input order.
    pub orphans: Vec<Prediction>,
    /// How the join was made.
    pub joined_by: JoinedBy,
}

/// Joins `predictions` to `examples`. Duplicate keys on either side are errors naming both lines.
pub fn join(
    examples: Vec<Example>,
    predictions: Vec<Prediction>,
    mode: JoinMode,
) -> Result<Joined> {
    if mode == JoinMode::Line {
        return Ok(join_by_line(examples, predictions));
    }
    let joined_by = choose_key(&examples, &predictions)?;
    let key_of = |keys: &super::Keys| -> String {
        match joined_by {
            JoinedBy::ExplicitKey => keys.explicit.clone(),
            _ => keys.content.clone(),
        }
        .unwrap_or_default()
    };

    let mut example_at: HashMap<String, usize> = HashMap::with_capacity(examples.len());
    for (index, example) in examples.iter().enumerate() {
        let key = key_of(&example.keys);
        if let Some(&first) = example_at.get(&key) {
            return Err(duplicate(
                &example.location,
                &examples[first].location,
                &key,
                joined_by,
            ));
        }
        example_at.insert(key, index);
    }

    let mut slots: Vec<Option<Prediction>> = vec![None; examples.len()];
    let mut seen: HashMap<String, Location> = HashMap::with_capacity(predictions.len());
    let mut orphans = Vec::new();
    for prediction in predictions {
        let key = key_of(&prediction.keys);
        if let Some(first) = seen.get(&key) {
            return Err(duplicate(&prediction.location, first, &key, joined_by));
        }
        seen.insert(key.clone(), prediction.location.clone());
        match example_at.get(&key) {
            Some(&index) => slots[index] = Some(prediction),
            None => orphans.push(prediction),
        }
    }

    let matched = slots.iter().filter(|s| s.is_some()).count();
    if matched == 0 && !examples.is_empty() && !orphans.is_empty() {
        let what = match joined_by {
            JoinedBy::ExplicitKey => "explicit key",
            _ => "request hash",
        };
        return Err(Error::Join(format!(
            "no prediction matches any expected example by {what}: {} has key {:?}, {} has key {:?}; check that both files describe the same requests, or join by line order with --join line",
            examples[0].location,
            key_of(&examples[0].keys),
            orphans[0].location,
            key_of(&orphans[0].keys),
        )));
    }

    let cases = examples
        .into_iter()
        .zip(slots)
        .map(|(example, prediction)| Case {
            example,
            prediction,
        })
        .collect();
    Ok(Joined {
        cases,
        orphans,
        joined_by,
    })
}

fn duplicate(location: &Location, first: &Location, key: &str, joined_by: JoinedBy) -> Error {
    let key = match joined_by {
        JoinedBy::RequestHash => format!("(request hash {key}: the same user turns)"),
        _ => format!("{key:?}"),
    };
    Error::DuplicateKey {
        location: location.clone(),
        first: first.clone(),
        key,
    }
}

/// Picks the key both sides have on every line: explicit keys first, then request hashes.
fn choose_key(examples: &[Example], predictions: &[Prediction]) -> Result<JoinedBy> {
    let first_without = |explicit: bool| -> (Option<&Location>, Option<&Location>) {
        let has = |k: &super::Keys| {
            if explicit {
                k.explicit.is_some()
            } else {
                k.content.is_some()
            }
        };
        (
            examples.iter().find(|e| !has(&e.keys)).map(|e| &e.location),
            predictions
                .iter()
                .find(|p| !has(&p.keys))
                .map(|p| &p.location),
        )
    };
    let (exp_no_id, pred_no_id) = first_without(true);
    if exp_no_id.is_none() && pred_no_id.is_none() {
        return Ok(JoinedBy::ExplicitKey);
    }
    let (exp_no_hash, pred_no_hash) = first_without(false);
    if exp_no_hash.is_none() && pred_no_hash.is_none() {
        return Ok(JoinedBy::RequestHash);
    }
    let mut why = Vec::new();
    match (exp_no_id, pred_no_id) {
        (Some(e), None) => why.push(format!(
            "the predictions carry ids (id/key/custom_id) but {e} has none"
        )),
        (None, Some(p)) => why.push(format!("the expected examples carry ids but {p} has none")),
        (Some(e), Some(_)) => why.push(format!("{e} has no id (id/key/custom_id)")),
        (None, None) => {}
    }
    if let Some(p) = pred_no_hash.filter(|_| exp_no_hash.is_none()) {
        why.push(format!(
            "{p} does not echo its request, so it cannot be matched by its user turns"
        ));
    }
    Err(Error::Join(format!(
        "cannot join predictions to expected examples: {}. Give every line on both sides an \"id\" (custom_id for OpenAI batch requests, key for Gemini batch requests), or join by line order with --join line",
        why.join("; ")
    )))
}

fn join_by_line(examples: Vec<Example>, predictions: Vec<Prediction>) -> Joined {
    let mut predictions = predictions.into_iter();
    let cases = examples
        .into_iter()
        .map(|example| Case {
            example,
            prediction: predictions.next(),
        })
        .collect();
    Joined {
        cases,
        orphans: predictions.collect(),
        joined_by: JoinedBy::LineOrder,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Keys, Output};
    use serde_json::json;

    fn loc(file: &str, line: usize) -> Location {
        Location {
            path: file.into(),
            line,
        }
    }

    fn example(line: usize, explicit: Option<&str>, content: Option<&str>) -> Example {
        Example {
            location: loc("e.jsonl", line),
            keys: Keys {
                explicit: explicit.map(Into::into),
                content: content.map(Into::into),
            },
            expected: json!([]),
        }
    }

    fn prediction(line: usize, explicit: Option<&str>, content: Option<&str>) -> Prediction {
        Prediction {
            location: loc("p.jsonl", line),
            keys: Keys {
                explicit: explicit.map(Into::into),
                content: content.map(Into::into),
            },
            output: Output::Text(format!("line {line}")),
            finish_reason: None,
        }
    }

    #[test]
    fn joins_by_explicit_key_regardless_of_order_with_missing_and_orphans() {
        let ex = vec![
            example(1, Some("a"), None),
            example(2, Some("b"), None),
            example(3, Some("c"), None),
        ];
        let pr = vec![
            prediction(1, Some("c"), None),
            prediction(2, Some("z"), None),
            prediction(3, Some("a"), None),
        ];
        let j = join(ex, pr, JoinMode::Key).unwrap();
        assert_eq!(j.joined_by, JoinedBy::ExplicitKey);
        let lines: Vec<_> = j
            .cases
            .iter()
            .map(|c| c.prediction.as_ref().map(|p| p.location.line))
            .collect();
        assert_eq!(lines, [Some(3), None, Some(1)]);
        assert_eq!(j.orphans.len(), 1);
        assert_eq!(j.orphans[0].location.line, 2);
    }

    #[test]
    fn falls_back_to_request_hash_when_a_side_has_no_ids() {
        let ex = vec![example(1, None, Some("h1")), example(2, None, Some("h2"))];
        let pr = vec![
            prediction(1, None, Some("h2")),
            prediction(2, Some("k"), Some("h1")),
        ];
        let j = join(ex, pr, JoinMode::Key).unwrap();
        assert_eq!(j.joined_by, JoinedBy::RequestHash);
        assert_eq!(j.cases[0].prediction.as_ref().unwrap().location.line, 2);
    }

    #[test]
    fn duplicate_keys_name_both_lines() {
        let ex = vec![example(1, Some("a"), None), example(4, Some("a"), None)];
        let err = join(ex, vec![prediction(1, Some("a"), None)], JoinMode::Key).unwrap_err();
        assert_eq!(
            err.to_string(),
            "e.jsonl:4: duplicate key \"a\" (first seen at e.jsonl:1)"
        );
        let ex = vec![example(1, Some("a"), None)];
        let pr = vec![
            prediction(1, Some("a"), None),
            prediction(7, Some("a"), None),
        ];
        let err = join(ex, pr, JoinMode::Key).unwrap_err();
        assert_eq!(
            err.to_string(),
            "p.jsonl:7: duplicate key \"a\" (first seen at p.jsonl:1)"
        );
    }

    #[test]
    fn unjoinable_inputs_explain_themselves() {
        let ex = vec![example(1, None, Some("h"))];
        let pr = vec![prediction(1, Some("x"), None)];
        let err = join(ex, pr, JoinMode::Key).unwrap_err().to_string();
        assert!(
            err.contains("the predictions carry ids (id/key/custom_id) but e.jsonl:1 has none"),
            "{err}"
        );
        assert!(err.contains("p.jsonl:1 does not echo its request"), "{err}");
        assert!(err.contains("--join line"), "{err}");
    }

    #[test]
    fn no_match_at_all_is_an_error_not_an_all_missing_report() {
        let ex = vec![example(1, Some("1"), None)];
        let pr = vec![prediction(1, Some("clip-1"), None)];
        let err = join(ex, pr, JoinMode::Key).unwrap_err().to_string();
        assert!(
            err.starts_with("no prediction matches any expected example by explicit key"),
            "{err}"
        );
    }

    #[test]
    fn line_mode_pairs_by_position() {
        let ex = vec![example(1, None, None), example(2, None, None)];
        let pr = vec![
            prediction(1, None, None),
            prediction(2, None, None),
            prediction(3, None, None),
        ];
        let j = join(ex, pr, JoinMode::Line).unwrap();
        assert_eq!(j.joined_by, JoinedBy::LineOrder);
        assert_eq!(j.cases[1].prediction.as_ref().unwrap().location.line, 2);
        assert_eq!(j.orphans.len(), 1);
    }
}
