//! Whether predictions were understood: a predictions file in which no line yields an
//! answer, or in which most lines fail for one and the same reason, is an input error naming
//! the shape verdict read it as, the field it looked for and the first line, never a model
//! that failed every request.
//!
//! The rule (docs/input-formats.md, "When predictions yield no answers"), over a set of lines:
//!
//! - no line yields an answer (every line is a failed request or an empty answer), however few
//!   the lines; or
//! - there are at least [`MOST_MIN_LINES`] lines and at least [`MOST_SHARE_PERCENT`]% of them
//!   fail with one and the same reason (an empty answer counts as one reason).
//!
//! It is checked on each predictions file with the reasons verdict gives itself when the field
//! it looks for is missing ("no response", "no choices", an empty answer: the signs of a file
//! read as the wrong shape), and on all the predictions of a run together with every reason,
//! the ones the provider stated too ("429 RESOURCE_EXHAUSTED", a batch that expired). A
//! provider's own error file (OpenAI's) holds nothing but stated failures, so a file of them is
//! data; a run whose requests mostly failed alike measures the run, not the model, and a
//! report of it would gate a release on noise: the fix is to re-run the failed requests.

use std::collections::HashMap;

use crate::{Output, ShapeId};
use verdict_core::error::{Error, Location};

/// The fewest lines the "most lines" rule needs: below it, a few failures are too few to
/// tell a misread file from bad luck (the "no answer at all" rule still holds).
pub const MOST_MIN_LINES: u64 = 10;

/// The share of the lines, in percent, that failing for one reason makes "most".
pub const MOST_SHARE_PERCENT: u64 = 90;

/// A reason's digest (the index's digest of its text; 0 for an empty answer).
type ReasonDigest = u128;

/// Why a prediction line yields no answer: the digest of its reason, and whether the provider
/// stated it (rather than verdict, finding no answer where it looked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoAnswer {
    digest: ReasonDigest,
    stated: bool,
}

/// What a prediction line yields, for the tally: an answer (`None`), or why not, its reason's
/// digest made by `digest`.
pub fn no_answer_reason(output: &Output, digest: fn(&str) -> u128) -> Option<NoAnswer> {
    match output {
        Output::Failed(reason) => Some(NoAnswer {
            digest: digest(reason),
            stated: !crate::providers::NOTHING_FOUND.contains(&reason.as_str()),
        }),
        // Beside any digest of a reason text: no text digests to the same 128 bits.
        Output::Empty => Some(NoAnswer {
            digest: 0,
            stated: false,
        }),
        Output::Text(_) | Output::Value(_) | Output::ToolCalls(_) => None,
    }
}

/// One reason lines failed for: how many, and the first of them.
#[derive(Debug, Clone)]
pub struct Reason {
    /// Lines that failed for it.
    pub count: u64,
    /// The spill slot of the first, to read its reason's text back.
    pub first_slot: usize,
    /// Where the first is.
    pub location: Location,
    /// The shape that read the first.
    pub shape: Option<ShapeId>,
    /// Whether the provider stated it.
    pub stated: bool,
}

/// The tally of a set of prediction lines: a file's, or a run's.
#[derive(Debug, Default)]
pub struct Tally {
    lines: u64,
    answered: u64,
    reasons: HashMap<ReasonDigest, Reason>,
}

/// Which of the two rules a set of lines breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    /// No line yields an answer.
    NoAnswer,
    /// Most lines fail for one reason.
    MostFailAlike,
}

impl Tally {
    /// Adds a line: why it yields no answer, if it does not ([`no_answer_reason`]), its slot,
    /// location and shape.
    pub fn add(
        &mut self,
        no_answer: Option<NoAnswer>,
        slot: usize,
        location: &Location,
        shape: Option<ShapeId>,
    ) {
        self.lines += 1;
        let Some(NoAnswer { digest, stated }) = no_answer else {
            self.answered += 1;
            return;
        };
        self.reasons
            .entry(digest)
            .or_insert_with(|| Reason {
                count: 0,
                first_slot: slot,
                location: location.clone(),
                shape,
                stated,
            })
            .count += 1;
    }

    /// Adds the lines of `other`, read after this tally's.
    pub fn merge(&mut self, other: &Tally) {
        self.lines += other.lines;
        self.answered += other.answered;
        for (digest, reason) in &other.reasons {
            match self.reasons.get_mut(digest) {
                Some(mine) => mine.count += reason.count,
                None => {
                    self.reasons.insert(*digest, reason.clone());
                }
            }
        }
    }

    /// The rule the lines break, with the reasons verdict gave itself only (a file's check) or
    /// with every reason (a run's), and its most common such reason (ties: the one seen first).
    /// No line answered breaks the first rule only when every line has such a reason.
    pub fn broken(&self, stated_too: bool) -> Option<(Broken, &Reason)> {
        let top = self
            .reasons
            .values()
            .filter(|r| stated_too || !r.stated)
            .max_by_key(|r| (r.count, std::cmp::Reverse(r.first_slot)))?;
        // A file's check takes no answer for a misreading only when verdict found nothing on
        // every line: a file of failures the provider stated (an error file), with a few lines
        // left empty, is data.
        let counted: u64 = self
            .reasons
            .values()
            .filter(|r| stated_too || !r.stated)
            .map(|r| r.count)
            .sum();
        if self.answered == 0 && counted == self.lines {
            return Some((Broken::NoAnswer, top));
        }
        let most =
            self.lines >= MOST_MIN_LINES && top.count * 100 >= self.lines * MOST_SHARE_PERCENT;
        most.then_some((Broken::MostFailAlike, top))
    }

    /// The input error for lines that break `broken`, `reason` their top reason, whose first
    /// line reads `output`; `whole` names them ("this file", "the predictions").
    pub fn error(&self, broken: Broken, reason: &Reason, output: &Output, whole: &str) -> Error {
        let why = match output {
            Output::Failed(text) => {
                let mut shown: String = text.chars().take(200).collect();
                if shown.len() < text.len() {
                    shown.push('…');
                }
                format!("{shown:?}")
            }
            _ => "an empty answer".to_owned(),
        };
        let (shape, answer) = reason.shape.map_or(
            ("a shape verdict could not name", "the answer field"),
            |s| (s.name(), s.answer()),
        );
        let lines = self.lines;
        let count = reason.count;
        let message = match broken {
            Broken::NoAnswer => format!(
                "no line of {whole} yields an answer: read as {shape}, with the answer looked for in {answer}, {count} of its {lines} lines give {why}. Lines not understood, or requests that all failed, are not a model to score: check the shape (docs/input-formats.md) or re-run the failed requests"
            ),
            Broken::MostFailAlike => format!(
                "{count} of the {lines} lines of {whole} ({}%) fail for one and the same reason, {why}: read as {shape}, with the answer looked for in {answer}. When most lines fail alike, they were not understood or the requests failed, which is not a model to score: check the shape (docs/input-formats.md) or re-run the failed requests",
                count * 100 / lines
            ),
        };
        Error::line(reason.location.clone(), message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(line: usize) -> Location {
        Location {
            path: "p.jsonl".into(),
            line,
        }
    }

    fn tally(outputs: &[Output]) -> Tally {
        let mut tally = Tally::default();
        for (i, output) in outputs.iter().enumerate() {
            tally.add(
                no_answer_reason(output, crate::index::digest),
                i,
                &loc(i + 1),
                ShapeId::from_index(0),
            );
        }
        tally
    }

    fn failed(reason: &str) -> Output {
        Output::Failed(reason.into())
    }

    #[test]
    fn no_answer_at_all_is_refused_however_few_the_lines() {
        let t = tally(&[failed("no response"), Output::Empty, failed("no response")]);
        let (broken, reason) = t.broken(false).unwrap();
        assert_eq!(broken, Broken::NoAnswer);
        assert_eq!((reason.count, reason.location.line), (2, 1));
        let t = tally(&[failed("no response"), Output::Text("{}".into())]);
        assert!(t.broken(true).is_none());
    }

    #[test]
    fn a_file_of_stated_failures_is_data_but_a_run_of_them_is_not() {
        // An OpenAI batch error file: every line an error the provider stated.
        let t = tally(&[failed("batch_expired"), failed("batch_expired")]);
        assert!(t.broken(false).is_none());
        assert_eq!(t.broken(true).unwrap().0, Broken::NoAnswer);
        // With the answers of the output file, the run has answers.
        let mut run = tally(&vec![Output::Text("{}".into()); 3]);
        run.merge(&t);
        assert!(run.broken(true).is_none());
        // Stated failures and one empty answer: still a file of failures, not a misreading.
        let t = tally(&[
            failed("429 RESOURCE_EXHAUSTED"),
            failed("429 RESOURCE_EXHAUSTED"),
            Output::Empty,
        ]);
        assert!(t.broken(false).is_none());
        assert_eq!(t.broken(true).unwrap().0, Broken::NoAnswer);
    }

    #[test]
    fn most_means_nine_in_ten_of_at_least_ten_lines() {
        let mut outputs = vec![failed("HTTP 429: RESOURCE_EXHAUSTED"); 9];
        outputs.push(Output::Text("{}".into()));
        assert_eq!(
            tally(&outputs).broken(true).unwrap().0,
            Broken::MostFailAlike
        );
        assert!(
            tally(&outputs).broken(false).is_none(),
            "stated: a run's rule only"
        );
        // 8 of 9: too few lines for the rule.
        assert!(tally(&outputs[1..]).broken(true).is_none());
        // 9 of 11 is under 90%.
        outputs.push(Output::Text("{}".into()));
        assert!(tally(&outputs).broken(true).is_none());
        // Nine failures, but for two reasons.
        let mut mixed = vec![failed("no choices"); 5];
        mixed.extend(vec![failed("no response"); 4]);
        mixed.push(Output::Text("{}".into()));
        assert!(tally(&mixed).broken(false).is_none());
        // Empty answers are one reason, verdict's own.
        let mut empty = vec![Output::Empty; 9];
        empty.push(Output::Text("{}".into()));
        assert_eq!(
            tally(&empty).broken(false).unwrap().0,
            Broken::MostFailAlike
        );
    }

    #[test]
    fn the_message_names_the_shape_the_field_and_the_first_line() {
        let t = tally(&[failed("no response"), failed("no response")]);
        let (broken, reason) = t.broken(false).unwrap();
        let message = t
            .error(broken, reason, &failed("no response"), "this file")
            .to_string();
        let shape = ShapeId::from_index(0).unwrap();
        assert_eq!(
            message,
            format!(
                "p.jsonl:1: no line of this file yields an answer: read as {}, with the answer looked for in {}, 2 of its 2 lines give \"no response\". Lines not understood, or requests that all failed, are not a model to score: check the shape (docs/input-formats.md) or re-run the failed requests",
                shape.name(),
                shape.answer()
            )
        );
    }
}
