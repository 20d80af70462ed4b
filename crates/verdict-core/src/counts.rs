//! Count types that several stages share: validity tiers, repairs, schema checks, the worst
//! examples and the tool stamp. The accumulator fills them, the report shows them; they live
//! here, below both, so neither has to import the other.

use serde::Serialize;

/// `validity` in report.json: counts per tier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Validity {
    /// The whole text was one JSON value.
    pub strict: usize,
    /// Found in a fence or prose.
    pub extracted: usize,
    /// Readable only after repair.
    pub repaired: usize,
    /// Not readable.
    pub invalid: usize,
    /// No output text.
    pub missing: usize,
    /// Failed or blocked request.
    pub failed: usize,
}

impl Validity {
    /// Counts one output in its tier.
    pub fn add(&mut self, tier: crate::validity::Tier) {
        use crate::validity::Tier;
        *match tier {
            Tier::Strict => &mut self.strict,
            Tier::Extracted => &mut self.extracted,
            Tier::Repaired => &mut self.repaired,
            Tier::Invalid => &mut self.invalid,
            Tier::Missing => &mut self.missing,
            Tier::Failed => &mut self.failed,
        } += 1;
    }

    /// The sum of all tiers; equals the number of examples.
    pub fn total(&self) -> usize {
        self.strict + self.extracted + self.repaired + self.invalid + self.missing + self.failed
    }
}

/// `schema` in report.json.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SchemaCounts {
    /// The schema file, as the spec resolves it; `null` when the spec names none.
    pub file: Option<String>,
    /// Outputs that were parsed and so could be checked.
    pub checked: usize,
    /// Outputs valid against the schema (the numerator of `summary.schema_valid`).
    pub valid: usize,
    /// Outputs of `checked` whose validity is unknown: a pattern of the schema hit the regex
    /// engine's backtracking limit on them. Neither valid nor invalid, and left out of
    /// `summary.schema_valid`; absent when there are none.
    #[serde(skip_serializing_if = "is_zero")]
    pub undecided: usize,
    /// The patterns that left them undecided; absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undecided_patterns: Vec<crate::schema::UndecidedRow>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl SchemaCounts {
    /// A warning per pattern that left outputs undecided.
    pub fn warnings(&self) -> Vec<String> {
        self.undecided_patterns
            .iter()
            .map(crate::schema::UndecidedRow::warning)
            .collect()
    }
}

/// `repairs` in report.json.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RepairCounts {
    /// Outputs with a trailing comma.
    pub trailing_comma: usize,
    /// Outputs with an unquoted key.
    pub unquoted_key: usize,
    /// Outputs with single-quoted strings.
    pub single_quote: usize,
    /// Outputs cut off and closed.
    pub truncated: usize,
}

impl RepairCounts {
    /// Counts the repairs one output needed.
    pub fn add(&mut self, r: crate::repair::Repairs) {
        self.trailing_comma += usize::from(r.trailing_comma);
        self.unquoted_key += usize::from(r.unquoted_key);
        self.single_quote += usize::from(r.single_quote);
        self.truncated += usize::from(r.truncated);
    }
}

/// `reasoning` in report.json.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ReasoningCounts {
    /// Predictions whose answer came with reasoning (`<think>` blocks, reasoning items or
    /// parts, a separate reasoning field), removed before the output was classified.
    pub outputs: usize,
}

/// One of the worst examples: what it expected and what it got, row by row.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct WorstExample {
    /// Explicit key or request hash.
    pub id: Option<String>,
    /// Where the example is in the expected file.
    pub expected_line: String,
    /// Validity tier of the output.
    pub tier: crate::validity::Tier,
    /// Same-label pairs.
    pub tp: usize,
    /// Predicted events not in a same-label pair.
    pub fp: usize,
    /// Expected events not in a same-label pair.
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// Expected and predicted events aligned, in time order: the first
    /// [`crate::bounded::MAX_WORST_ROWS`], each value cut to
    /// [`crate::bounded::MAX_SHOWN_CHARS`] characters ([`crate::bounded::shown_value`]).
    pub rows: Vec<AlignedRow>,
    /// The rows after those (`examples.jsonl` has every event).
    #[serde(default)]
    pub rows_not_shown: usize,
}

/// One line of a worst example.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct AlignedRow {
    /// `match`, `field` (same label, a field wrong), `confused`, `missed` or `spurious`.
    pub status: String,
    /// The expected event, if any.
    pub expected: Option<serde_json::Value>,
    /// The predicted event, if any.
    pub predicted: Option<serde_json::Value>,
    /// t_pred − t_exp in seconds, for pairs.
    pub dt: Option<f64>,
}

/// `tool` in report.json.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// Always `verdict`.
    pub name: &'static str,
    /// The crate version.
    pub version: &'static str,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "verdict",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// Implements `+=` for a struct of counts, field by field.
macro_rules! add_counts {
    ($type:ty { $($field:ident),* $(,)? }) => {
        impl std::ops::AddAssign for $type {
            fn add_assign(&mut self, other: $type) {
                $(self.$field += other.$field;)*
            }
        }
    };
}
pub(crate) use add_counts;

add_counts!(Validity {
    strict,
    extracted,
    repaired,
    invalid,
    missing,
    failed
});
add_counts!(RepairCounts {
    trailing_comma,
    unquoted_key,
    single_quote,
    truncated
});
