//! Comparators for the fields of paired events (`[fields.NAME]` in the spec), including the
//! player-identity parser.
//!
//! A field whose value is null counts as absent. A comparison is made when either side has the
//! field; it is correct only when both have it and the comparator says they are equal.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value;

use crate::spec::{Comparator, FieldSpec, FuzzyMeasure};

/// Default similarity threshold of `fuzzy`.
pub const DEFAULT_FUZZY_THRESHOLD: f64 = 0.9;

/// Slack for `number` comparisons, so that 0.1 + 0.2 is within 0.3 of 0.
const NUMBER_EPSILON: f64 = 1e-9;

/// How a compared field turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Both sides present and equal.
    Correct,
    /// Both present, different; for `player_id`, where the difference lies.
    Wrong(PlayerDiff),
    /// Present on one side only.
    OneSided,
}

/// Where two player identities differ (only for `player_id`; `Other` elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayerDiff {
    /// Same team, different number.
    Number,
    /// Same number, different team.
    Team,
    /// Both differ.
    Both,
    /// At least one side could not be parsed as a player (compared as folded text), or the
    /// comparator is not `player_id`.
    Other,
}

/// Compares field values of an expected and a predicted event; `None` when neither has it.
pub fn compare(
    spec: &FieldSpec,
    expected: Option<&Value>,
    predicted: Option<&Value>,
) -> Option<Outcome> {
    fn present(v: Option<&Value>) -> Option<&Value> {
        v.filter(|v| !v.is_null())
    }
    match (present(expected), present(predicted)) {
        (None, None) => None,
        (Some(_), None) | (None, Some(_)) => Some(Outcome::OneSided),
        (Some(e), Some(p)) => Some(compare_present(spec, e, p)),
    }
}

fn verdict(equal: bool) -> Outcome {
    if equal {
        Outcome::Correct
    } else {
        Outcome::Wrong(PlayerDiff::Other)
    }
}

fn compare_present(spec: &FieldSpec, e: &Value, p: &Value) -> Outcome {
    // Identical values prepare alike and compare as equal under every comparator but fuzzy
    // (whose score for two empty texts is its library's to give): most fields of a matched
    // pair are copies, and preparing them (parsing two player references) is what costs.
    if spec.compare != Comparator::Fuzzy && e == p {
        return Outcome::Correct;
    }
    compare_prepared(spec, &prepare(spec, e), &prepare(spec, p))
}

/// A present field value with its comparator's per-value work (folding, parsing) done, for
/// comparing one value with many: typed ANLS* compares every expected event with every
/// predicted one.
pub struct Prepared<'v> {
    value: &'v Value,
    key: Key,
}

/// What a comparator reads from a value, when it reads anything other than the value itself.
enum Key {
    Plain,
    /// `text`: the folded string.
    Folded(String),
    /// `number`: the value as a number.
    Number(f64),
    /// `player_id`: the parsed player.
    Player(Player),
}

/// Prepares a present (non-null) value for [`compare_prepared`] under `spec`.
pub fn prepare<'v>(spec: &FieldSpec, value: &'v Value) -> Prepared<'v> {
    let key = match (spec.compare, value) {
        (Comparator::Text, Value::String(s)) => Key::Folded(fold(s)),
        (Comparator::Number, _) => as_number(value).map_or(Key::Plain, Key::Number),
        (Comparator::PlayerId, _) => {
            parse_player(value, &spec.team_aliases).map_or(Key::Plain, Key::Player)
        }
        _ => Key::Plain,
    };
    Prepared { value, key }
}

/// Compares two present values prepared under the same `spec`.
pub fn compare_prepared(spec: &FieldSpec, e: &Prepared<'_>, p: &Prepared<'_>) -> Outcome {
    match spec.compare {
        Comparator::Exact => verdict(json_equal(e.value, p.value)),
        Comparator::Text => verdict(match (&e.key, &p.key) {
            (Key::Folded(a), Key::Folded(b)) => a == b,
            _ => json_equal(e.value, p.value),
        }),
        Comparator::Number => verdict(match (&e.key, &p.key) {
            (Key::Number(a), Key::Number(b)) => {
                (a - b).abs() <= spec.tolerance.unwrap_or(0.0) + NUMBER_EPSILON
            }
            _ => json_equal(e.value, p.value),
        }),
        Comparator::Fuzzy => verdict(match (e.value, p.value) {
            (Value::String(a), Value::String(b)) => {
                similarity(spec.measure.unwrap_or(FuzzyMeasure::JaroWinkler), a, b)
                    >= spec.threshold.unwrap_or(DEFAULT_FUZZY_THRESHOLD)
            }
            _ => json_equal(e.value, p.value),
        }),
        Comparator::Set => verdict(match (e.value, p.value) {
            (Value::Array(a), Value::Array(b)) => multiset(a) == multiset(b),
            _ => json_equal(e.value, p.value),
        }),
        Comparator::PlayerId => match (&e.key, &p.key) {
            (Key::Player(a), Key::Player(b)) => match (a.number == b.number, a.team == b.team) {
                (true, true) => Outcome::Correct,
                (false, true) => Outcome::Wrong(PlayerDiff::Number),
                (true, false) => Outcome::Wrong(PlayerDiff::Team),
                (false, false) => Outcome::Wrong(PlayerDiff::Both),
            },
            _ => {
                let text =
                    |v: &Value| fold(&v.as_str().map_or_else(|| v.to_string(), str::to_owned));
                verdict(text(e.value) == text(p.value))
            }
        },
    }
}

/// JSON equality where numbers compare by value (1 = 1.0), recursively.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x
                .as_f64()
                .zip(y.as_f64())
                .is_some_and(|(x, y)| x.total_cmp(&y).is_eq()),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() {
                return false;
            }
            // serde_json's map iterates in key order, so equal maps pair entry by entry; a map
            // in another order (a preserve-order build) falls back to lookups.
            for ((k, v), (l, w)) in x.iter().zip(y) {
                if k != l {
                    return x
                        .iter()
                        .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)));
                }
                if !json_equal(v, w) {
                    return false;
                }
            }
            true
        }
        _ => a == b,
    }
}

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok().filter(|x: &f64| x.is_finite()),
        _ => None,
    }
}

/// Lower case, white space runs collapsed to one space, trimmed.
pub fn fold(text: &str) -> String {
    if !text.is_ascii() {
        return text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
    }
    // ASCII lower-casing is per byte, so it can follow the joining in place.
    let mut folded = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !folded.is_empty() {
            folded.push(' ');
        }
        folded.push_str(word);
    }
    folded.make_ascii_lowercase();
    folded
}

/// `char::is_whitespace` on an ASCII byte: the vertical tab too, unlike
/// `u8::is_ascii_whitespace`.
const fn is_white_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t'..=b'\r')
}

/// `fold(text) == folded` for an already folded `folded`, without building the fold.
fn folds_to(text: &str, folded: &str) -> bool {
    if !text.is_ascii() {
        return fold(text) == folded;
    }
    if !text.bytes().any(is_white_space) {
        // One word, as team aliases usually are; a folded text's ASCII letters are lower-case
        // already, so a case-blind comparison needs no splitting into words.
        return text.eq_ignore_ascii_case(folded);
    }
    // A folded text has no ASCII capitals, so a case-blind comparison is lower-casing `text`.
    let mut words = folded.split_whitespace();
    text.split_whitespace()
        .all(|word| words.next().is_some_and(|f| word.eq_ignore_ascii_case(f)))
        && words.next().is_none()
}

fn similarity(measure: FuzzyMeasure, a: &str, b: &str) -> f64 {
    match measure {
        FuzzyMeasure::Levenshtein => strsim::normalized_levenshtein(a, b),
        FuzzyMeasure::Jaro => strsim::jaro(a, b),
        FuzzyMeasure::JaroWinkler => strsim::jaro_winkler(a, b),
        FuzzyMeasure::SorensenDice => strsim::sorensen_dice(a, b),
    }
}

fn multiset(items: &[Value]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for item in items {
        *counts.entry(canonical(item)).or_default() += 1;
    }
    counts
}

/// A canonical text of a value: object keys sorted (serde_json's default map is ordered) and
/// integral floats written as integers, so `1` and `1.0` count as the same element.
fn canonical(v: &Value) -> String {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{k:?}:{}", canonical(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

/// A player identity: jersey number and team, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Player {
    /// The jersey number as digits; leading zeros dropped ("07" is 7, "000" is 0) except in
    /// "00", which is a different number from 0 in basketball.
    pub number: String,
    /// The team, folded and mapped through the aliases.
    pub team: String,
}

/// Words that decorate a player reference without identifying anyone.
const PLAYER_NOISE: [&str; 5] = ["player", "no", "number", "num", "jersey"];

/// Parses the forms models write: "Player #7 (Gray)", "#7 Gray", "Gray #7", "gray 7",
/// "No. 7, Gray", "Player 7 (GRAY)" and `{"number": 7, "team": "Gray"}`.
pub fn parse_player(value: &Value, aliases: &BTreeMap<String, String>) -> Option<Player> {
    let (number, team): (Cow<'_, str>, String) = match value {
        Value::String(text) => {
            let (number, team) = parse_player_text(text)?;
            (number.into(), team)
        }
        Value::Object(map) => {
            let number = match map.get("number").or_else(|| map.get("jersey"))? {
                Value::Number(n) => n.as_u64()?.to_string().into(),
                Value::String(s) => s.trim().trim_start_matches('#').into(),
                _ => return None,
            };
            (number, fold(map.get("team")?.as_str()?))
        }
        _ => return None,
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if team.is_empty() {
        return None;
    }
    // "00" is a number of its own; any other run of zeros is 0 once its leading zeros go.
    let number = match number.trim_start_matches('0') {
        _ if number == "00" => "00",
        "" => "0",
        digits => digits,
    }
    .to_owned();
    let team = aliases
        .iter()
        .find(|(alias, _)| folds_to(alias, &team))
        .map_or(team, |(_, canonical)| fold(canonical));
    Some(Player { number, team })
}

/// The number and the folded team of a textual player reference.
fn parse_player_text(text: &str) -> Option<(&str, String)> {
    if text.is_ascii() {
        parse_ascii_player_text(text)
    } else {
        parse_any_player_text(text)
    }
}

/// [`parse_any_player_text`] for ASCII text, a byte at a time: every model output goes
/// through here, several times per event.
fn parse_ascii_player_text(text: &str) -> Option<(&str, String)> {
    // White space and the punctuation `parse_any_player_text` splits at, as a table.
    const SEPARATORS: [bool; 256] = {
        let mut table = [false; 256];
        let mut i = 0;
        while i < 256 {
            table[i] = is_white_space(i as u8)
                || matches!(
                    i as u8,
                    b'#' | b'(' | b')' | b',' | b'.' | b':' | b'-' | b'[' | b']'
                );
            i += 1;
        }
        table
    };
    let separator = |b: u8| SEPARATORS[usize::from(b)];
    let bytes = text.as_bytes();
    let mut number = None;
    let mut team = Vec::with_capacity(bytes.len());
    let mut start = 0;
    while start < bytes.len() {
        if separator(bytes[start]) {
            start += 1;
            continue;
        }
        let mut end = start + 1;
        while end < bytes.len() && !separator(bytes[end]) {
            end += 1;
        }
        let word = &bytes[start..end];
        if word.iter().all(u8::is_ascii_digit) {
            if number.replace(&text[start..end]).is_some() {
                return None;
            }
        } else if !PLAYER_NOISE
            .iter()
            .any(|noise| word.eq_ignore_ascii_case(noise.as_bytes()))
        {
            if !team.is_empty() {
                team.push(b' ');
            }
            team.extend(word.iter().map(u8::to_ascii_lowercase));
        }
        start = end;
    }
    let team = String::from_utf8(team).expect("ASCII bytes are UTF-8");
    Some((number?, team))
}

fn parse_any_player_text(text: &str) -> Option<(&str, String)> {
    let words = text
        .split(|c: char| {
            c.is_whitespace() || matches!(c, '#' | '(' | ')' | ',' | '.' | ':' | '-' | '[' | ']')
        })
        .filter(|word| !word.is_empty());
    let mut number = None;
    let mut team = String::with_capacity(text.len());
    for word in words {
        if word.bytes().all(|b| b.is_ascii_digit()) {
            if number.replace(word).is_some() {
                return None;
            }
        } else if !is_player_noise(word) {
            if !team.is_empty() {
                team.push(' ');
            }
            team.push_str(word);
        }
    }
    // The team words have no white space in them and are joined by single spaces, so folding
    // ASCII ones is lower-casing them.
    let team = if team.is_ascii() {
        team.make_ascii_lowercase();
        team
    } else {
        fold(&team)
    };
    Some((number?, team))
}

fn is_player_noise(word: &str) -> bool {
    if word.is_ascii() {
        PLAYER_NOISE
            .iter()
            .any(|noise| word.eq_ignore_ascii_case(noise))
    } else {
        PLAYER_NOISE.contains(&word.to_lowercase().as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(compare: Comparator) -> FieldSpec {
        FieldSpec::new(compare)
    }

    fn outcome(spec: &FieldSpec, e: Value, p: Value) -> Option<Outcome> {
        compare(spec, Some(&e), Some(&p))
    }

    #[test]
    fn player_forms_models_write_all_parse_to_the_same_player() {
        let aliases = BTreeMap::from([("grey".to_owned(), "gray".to_owned())]);
        let want = Player {
            number: "7".into(),
            team: "gray".into(),
        };
        for form in [
            json!("Player #7 (Gray)"),
            json!("#7 Gray"),
            json!("Gray #7"),
            json!("gray 7"),
            json!("No. 7, Gray"),
            json!("Player 7 (GRAY)"),
            json!("Player #07 (Grey)"),
            json!({"number": 7, "team": "Gray"}),
            json!({"number": "#7", "team": "grey"}),
        ] {
            assert_eq!(parse_player(&form, &aliases), Some(want.clone()), "{form}");
        }
        assert_eq!(
            parse_player(&json!("#00 Gold"), &aliases).unwrap().number,
            "00"
        );
        assert_eq!(
            parse_player(&json!("#0 Gold"), &aliases).unwrap().number,
            "0"
        );
        // Found by the `player` fuzz target: "000" kept its zeros and so differed from "#0".
        assert_eq!(
            parse_player(&json!("No. 000, Gold"), &aliases)
                .unwrap()
                .number,
            "0"
        );
        assert_eq!(
            parse_player(&json!("Player #12 (Navy Blue)"), &aliases)
                .unwrap()
                .team,
            "navy blue"
        );
        for bad in [
            json!("Gray"),
            json!("#7"),
            json!("7 and 8 Gray"),
            json!(7),
            json!({"team": "Gray"}),
        ] {
            assert_eq!(parse_player(&bad, &aliases), None, "{bad}");
        }
    }

    #[test]
    fn player_comparison_says_what_differs() {
        let spec = field(Comparator::PlayerId);
        assert_eq!(
            outcome(&spec, json!("Player #7 (Gray)"), json!("gray 7")),
            Some(Outcome::Correct)
        );
        assert_eq!(
            outcome(&spec, json!("Player #7 (Gray)"), json!("#9 Gray")),
            Some(Outcome::Wrong(PlayerDiff::Number))
        );
        assert_eq!(
            outcome(&spec, json!("Player #7 (Gray)"), json!("#7 White")),
            Some(Outcome::Wrong(PlayerDiff::Team))
        );
        assert_eq!(
            outcome(&spec, json!("Player #7 (Gray)"), json!("#8 White")),
            Some(Outcome::Wrong(PlayerDiff::Both))
        );
        // Unparseable: folded text.
        assert_eq!(
            outcome(&spec, json!("The Captain"), json!("the  captain")),
            Some(Outcome::Correct)
        );
        assert_eq!(
            outcome(&spec, json!("Player #7 (Gray)"), json!("unknown")),
            Some(Outcome::Wrong(PlayerDiff::Other))
        );
    }

    proptest::proptest! {
        #[test]
        fn one_word_aliases_name_teams_as_folding_does(
            alias in "[gGrReEyY\u{212a}é]{1,5}( [a-z]{1,3})?",
            team in "[gGrReEyY\u{212a}é]{1,5}( [a-zA-Z]{1,3})?"
        ) {
            proptest::prop_assert_eq!(folds_to(&alias, &fold(&team)), fold(&alias) == fold(&team));
        }

        #[test]
        fn ascii_player_texts_parse_as_any_text_does(
            text in "[ \t\u{b}\r#().,:\\-\\[\\]0-9aAoOnN]{0,6}(Player|NO|num|jersey|Gray|07)?[ #(0-9a-z]{0,6}"
        ) {
            proptest::prop_assert_eq!(parse_ascii_player_text(&text), parse_any_player_text(&text));
        }

        #[test]
        fn folds_to_agrees_with_fold(a in "[aAbB \t\u{b}ΣσÉé]{0,8}", b in "[aAbB \tΣσÉé]{0,8}") {
            proptest::prop_assert_eq!(folds_to(&a, &fold(&b)), fold(&a) == fold(&b));
        }
    }

    #[test]
    fn identical_values_are_correct_under_every_comparator_but_fuzzy_as_prepared_too() {
        let values = [
            json!("Player #7 (Gray)"),
            json!("#07 grey"),
            json!("no player"),
            json!(""),
            json!({"number": 7, "team": "Gray"}),
            json!({"number": "x"}),
            json!(7),
            json!(-0.0),
            json!(1e300),
            json!([1, "a", [2.5]]),
            json!([]),
            json!({}),
            json!(true),
        ];
        let aliases = BTreeMap::from([("grey".to_owned(), "gray".to_owned())]);
        for compare in [
            Comparator::Exact,
            Comparator::Text,
            Comparator::Number,
            Comparator::Set,
            Comparator::PlayerId,
        ] {
            let spec = FieldSpec {
                team_aliases: aliases.clone(),
                ..FieldSpec::new(compare)
            };
            for value in &values {
                let twin = value.clone();
                assert_eq!(compare_present(&spec, value, &twin), Outcome::Correct);
                assert_eq!(
                    compare_prepared(&spec, &prepare(&spec, value), &prepare(&spec, &twin)),
                    Outcome::Correct,
                    "{compare:?} {value}"
                );
            }
        }
    }

    #[test]
    fn objects_are_equal_when_their_keys_and_values_are() {
        let equal = |a: Value, b: Value| json_equal(&a, &b);
        assert!(equal(
            json!({"a": 1, "b": [1.0, {"c": null}]}),
            json!({"b": [1, {"c": null}], "a": 1.0})
        ));
        assert!(!equal(json!({"a": 1, "b": 2}), json!({"a": 1, "c": 2})));
        assert!(!equal(json!({"a": 1, "b": 2}), json!({"a": 1, "b": 3})));
        assert!(!equal(json!({"a": 1}), json!({"a": 1, "b": 2})));
        assert!(!equal(json!({"a": "1"}), json!({"a": 1})));
        assert!(equal(json!({}), json!({})));
    }

    #[test]
    fn presence_rules() {
        let spec = field(Comparator::Exact);
        assert_eq!(compare(&spec, None, None), None);
        assert_eq!(
            compare(&spec, Some(&json!(null)), None),
            None,
            "null counts as absent"
        );
        assert_eq!(
            compare(&spec, Some(&json!(1)), Some(&json!(null))),
            Some(Outcome::OneSided)
        );
        assert_eq!(
            compare(&spec, None, Some(&json!("x"))),
            Some(Outcome::OneSided)
        );
    }

    #[test]
    fn exact_text_number_fuzzy_set() {
        let exact = field(Comparator::Exact);
        assert_eq!(
            outcome(&exact, json!({"a": [1, 2.0]}), json!({"a": [1.0, 2]})),
            Some(Outcome::Correct)
        );
        assert_eq!(
            outcome(&exact, json!("A"), json!("a")),
            Some(Outcome::Wrong(PlayerDiff::Other))
        );
        let text = field(Comparator::Text);
        assert_eq!(
            outcome(&text, json!("Jump  Shot "), json!("jump shot")),
            Some(Outcome::Correct)
        );
        let mut number = field(Comparator::Number);
        number.tolerance = Some(0.3);
        assert_eq!(
            outcome(&number, json!(2848.5), json!(2848.8)),
            Some(Outcome::Correct)
        );
        assert_eq!(
            outcome(&number, json!(2848.5), json!("2848.81")),
            Some(Outcome::Wrong(PlayerDiff::Other))
        );
        let mut fuzzy = field(Comparator::Fuzzy);
        fuzzy.measure = Some(FuzzyMeasure::Levenshtein);
        fuzzy.threshold = Some(0.8);
        assert_eq!(
            outcome(&fuzzy, json!("pull-up jumper"), json!("pull up jumper")),
            Some(Outcome::Correct)
        );
        assert_eq!(
            outcome(&fuzzy, json!("layup"), json!("dunk")),
            Some(Outcome::Wrong(PlayerDiff::Other))
        );
        let set = field(Comparator::Set);
        assert_eq!(
            outcome(&set, json!(["a", "b", "a"]), json!(["a", "a", "b"])),
            Some(Outcome::Correct)
        );
        assert_eq!(
            outcome(&set, json!(["a", "b"]), json!(["a", "b", "b"])),
            Some(Outcome::Wrong(PlayerDiff::Other))
        );
        assert_eq!(
            outcome(&set, json!([1, {"x": 2}]), json!([{"x": 2.0}, 1.0])),
            Some(Outcome::Correct)
        );
    }
}
