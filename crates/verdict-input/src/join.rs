//! Joins predictions to the expected examples they answer.
//!
//! By default lines join by key: by the explicit keys (`id`, `key`, `custom_id`) when every
//! line on both sides has one, otherwise by the hash of the request's user turns and system
//! instruction when every line on both sides carries both, otherwise by the hash of the user
//! turns alone when every line on both sides carries them. `--join line` pairs them by position instead. Provider
//! outputs come in any order, so position is used only when asked for.

use super::{Example, Prediction};
use verdict_core::error::{Error, Location, Result};
pub use verdict_core::joining::{JoinMode, JoinedBy};

/// An example and the prediction joined to it, if any.
#[derive(Debug, Clone)]
pub struct Case {
    /// The expected side.
    pub example: Example,
    /// The prediction, or `None` when the example is *missing* one.
    pub prediction: Option<Prediction>,
}

/// How the join messages point to `verdict requests`: the requests it writes carry keys their
/// batch output brings back, so the output joins the test set with no ids in it.
pub const REQUESTS_HINT: &str = "To get a batch output that joins, send the requests `verdict requests EXPECTED --provider P --out FILE` writes: each carries a key its answer brings back (docs/requests.md)";

/// The error for a key that two lines of one side share, naming both lines.
pub fn duplicate(location: &Location, first: &Location, key: &str, joined_by: JoinedBy) -> Error {
    let key = match joined_by {
        JoinedBy::RequestHash => format!("(request hash {key}: the same user turns)"),
        JoinedBy::RequestAndSystemHash => {
            format!("(request hash {key}: the same user turns and system instruction)")
        }
        _ => verdict_core::quote::quoted(key).to_string(),
    };
    Error::DuplicateKey {
        location: location.clone(),
        first: first.clone(),
        key,
    }
}

/// The first line of each side without an explicit key (`no_id`) and without a request hash
/// (`no_hash`): what decides how, and whether, lines can be joined by key.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyGaps<'a> {
    /// First expected example without an explicit key.
    pub expected_no_id: Option<&'a Location>,
    /// First prediction without an explicit key.
    pub predicted_no_id: Option<&'a Location>,
    /// First expected example without a request hash.
    pub expected_no_hash: Option<&'a Location>,
    /// First prediction without a request hash.
    pub predicted_no_hash: Option<&'a Location>,
}

impl KeyGaps<'_> {
    /// The key both sides have on every line: explicit keys first, then request hashes; or
    /// the error saying why neither works.
    pub fn choose(&self) -> Result<JoinedBy> {
        if self.expected_no_id.is_none() && self.predicted_no_id.is_none() {
            return Ok(JoinedBy::ExplicitKey);
        }
        if self.expected_no_hash.is_none() && self.predicted_no_hash.is_none() {
            return Ok(JoinedBy::RequestHash);
        }
        let mut why = Vec::new();
        match (self.expected_no_id, self.predicted_no_id) {
            (Some(e), None) => why.push(format!(
                "the predictions carry ids (id/key/custom_id) but {e} has none"
            )),
            (None, Some(p)) => {
                why.push(format!("the expected examples carry ids but {p} has none"));
            }
            (Some(e), Some(_)) => why.push(format!("{e} has no id (id/key/custom_id)")),
            (None, None) => {}
        }
        if let Some(p) = self
            .predicted_no_hash
            .filter(|_| self.expected_no_hash.is_none())
        {
            why.push(format!(
                "{p} does not echo its request, so it cannot be matched by its user turns"
            ));
        }
        Err(Error::Join(format!(
            "cannot join predictions to expected examples: {}. {REQUESTS_HINT}; or give every line on both sides an \"id\" (custom_id for OpenAI batch requests, key for Gemini batch requests); or join by line order with --join line",
            why.join("; ")
        )))
    }
}

/// The error for a keyed join in which no prediction answers any example.
pub fn nothing_joined(
    joined_by: JoinedBy,
    example: (&Location, &str),
    orphan: (&Location, &str),
) -> Error {
    let (what, check) = match joined_by {
        JoinedBy::ExplicitKey => ("explicit key", "describe the same requests"),
        JoinedBy::RequestAndSystemHash => (
            "request hash (user turns and system instruction: every line on both sides carries one, so it is part of the join)",
            "describe the same requests with the same system instruction",
        ),
        _ => ("request hash", "describe the same requests"),
    };
    Error::Join(format!(
        "no prediction matches any expected example by {what}: {} has key {:?}, {} has key {:?}; check that both files {check}. {REQUESTS_HINT}; or join by line order with --join line",
        example.0, example.1, orphan.0, orphan.1,
    ))
}

/// The key of `keys` that a join of kind `joined_by` uses.
pub fn key_of(keys: &super::Keys, joined_by: JoinedBy) -> Option<&str> {
    match joined_by {
        JoinedBy::ExplicitKey => keys.explicit.as_deref(),
        JoinedBy::RequestAndSystemHash => keys.system.as_deref(),
        _ => keys.content.as_deref(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(file: &str, line: usize) -> Location {
        Location {
            path: file.into(),
            line,
        }
    }

    #[test]
    fn explicit_keys_win_then_request_hashes() {
        let gaps = KeyGaps::default();
        assert_eq!(gaps.choose().unwrap(), JoinedBy::ExplicitKey);
        let p = loc("p.jsonl", 1);
        let gaps = KeyGaps {
            predicted_no_id: Some(&p),
            ..KeyGaps::default()
        };
        assert_eq!(gaps.choose().unwrap(), JoinedBy::RequestHash);
    }

    #[test]
    fn unjoinable_inputs_explain_themselves() {
        let (e, p) = (loc("e.jsonl", 1), loc("p.jsonl", 1));
        let gaps = KeyGaps {
            expected_no_id: Some(&e),
            predicted_no_hash: Some(&p),
            ..KeyGaps::default()
        };
        let err = gaps.choose().unwrap_err().to_string();
        assert!(
            err.contains("the predictions carry ids (id/key/custom_id) but e.jsonl:1 has none"),
            "{err}"
        );
        assert!(err.contains("p.jsonl:1 does not echo its request"), "{err}");
        assert!(err.contains("--join line"), "{err}");
        assert!(
            err.contains("`verdict requests EXPECTED --provider P --out FILE`"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_keys_name_both_lines() {
        let err = duplicate(
            &loc("e.jsonl", 4),
            &loc("e.jsonl", 1),
            "a",
            JoinedBy::ExplicitKey,
        );
        assert_eq!(
            err.to_string(),
            "e.jsonl:4: duplicate key \"a\" (first seen at e.jsonl:1)"
        );
    }

    #[test]
    fn no_match_at_all_names_a_key_of_each_side() {
        let err = nothing_joined(
            JoinedBy::ExplicitKey,
            (&loc("e.jsonl", 1), "1"),
            (&loc("p.jsonl", 1), "clip-1"),
        )
        .to_string();
        assert!(
            err.starts_with("no prediction matches any expected example by explicit key"),
            "{err}"
        );
    }
}
