//! A run's bootstrap replicates kept beside its report (`replicates.bin`), and the paired
//! interval of the difference between two runs computed from them alone.
//!
//! Two runs scored on the same test set with the same seed give each unit the same Poisson
//! weights ([`crate::poisson`]), so their replicate r weighs the same examples alike: the
//! difference of a metric between the runs, replicate by replicate, is a paired bootstrap of
//! the change. Runs whose weights differ (another seed, another test set, other units) cannot
//! be paired, and are refused with what differs; runs that kept different numbers of
//! replicates pair over the first replicates both kept, when asked to.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::poisson::Replicates;
use crate::resample::{Interval, Layout, metric_names, metric_values, percentile_interval};

/// The file beside report.json that holds a run's replicates.
pub const REPLICATES_FILE: &str = "replicates.bin";

/// The first bytes of [`REPLICATES_FILE`]: what it is, and its format's version.
const MAGIC: &[u8] = b"verdict replicates 1\n";

/// A run's replicates and what decides whether another run's pair with them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReplicates {
    /// `--seed`.
    pub seed: u64,
    /// SHA-256 of the expected file (`run.expected_sha256`).
    pub expected_sha256: String,
    /// How examples were keyed (`run.joined_by`): the unit keys' kind.
    pub joined_by: String,
    /// `--cluster-by`, when units are clusters.
    pub cluster_by: Option<String>,
    /// The sums.
    pub sums: Replicates,
}

impl RunReplicates {
    /// The file's bytes: the line `verdict replicates 1`, then the value in postcard.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend(postcard::to_allocvec(self).expect("replicates serialize"));
        bytes
    }

    /// Reads [`REPLICATES_FILE`] at `path`.
    pub fn read(path: &Path) -> Result<RunReplicates> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, "cannot read", e))?;
        let body = bytes.strip_prefix(MAGIC).ok_or_else(|| Error::Path {
            path: path.to_path_buf(),
            message: format!(
                "not a replicates file of this verdict (expected it to begin {:?}): score the run again with this version",
                String::from_utf8_lossy(MAGIC)
            ),
        })?;
        postcard::from_bytes(body).map_err(|e| Error::Path {
            path: path.to_path_buf(),
            message: format!("is damaged ({e}): score the run again"),
        })
    }

    /// Fails unless `self` (run `name`) and `other` (run `other_name`) give every unit the same
    /// weights; the message says what differs.
    pub fn check_pairs_with(
        &self,
        name: &str,
        other: &RunReplicates,
        other_name: &str,
    ) -> Result<()> {
        let mut differences = Vec::new();
        if self.seed != other.seed {
            differences.push(format!("seed ({} and {})", self.seed, other.seed));
        }
        if self.expected_sha256 != other.expected_sha256 {
            let short = |d: &str| d[..d.len().min(12)].to_owned();
            differences.push(format!(
                "test set (sha256 {}… and {}…)",
                short(&self.expected_sha256),
                short(&other.expected_sha256)
            ));
        }
        if self.cluster_by != other.cluster_by {
            let shown =
                |c: &Option<String>| c.as_deref().map_or("none".to_owned(), |c| format!("{c:?}"));
            differences.push(format!(
                "--cluster-by ({} and {})",
                shown(&self.cluster_by),
                shown(&other.cluster_by)
            ));
        }
        if self.joined_by != other.joined_by {
            differences.push(format!(
                "join key ({} and {})",
                join_words(&self.joined_by),
                join_words(&other.joined_by)
            ));
        }
        if differences.is_empty() {
            return Ok(());
        }
        Err(Error::Usage(format!(
            "{name} and {other_name} cannot be paired replicate by replicate: their {} differ{}. Score both on the same expected file with the same --seed, --cluster-by and join",
            differences.join(", "),
            if differences.len() == 1 { "s" } else { "" }
        )))
    }
}

/// B − A of every metric under `layout`, with its paired percentile interval over the first
/// `replicates` replicates: replicate r of each run weighs the same units alike. `a` and `b`
/// must pair ([`RunReplicates::check_pairs_with`]) and hold at least `replicates`.
pub fn paired_delta(
    a: &Replicates,
    b: &Replicates,
    layout: &Layout,
    replicates: usize,
) -> BTreeMap<String, Interval> {
    let delta = |x: Vec<Option<f64>>, y: Vec<Option<f64>>| -> Vec<Option<f64>> {
        x.iter().zip(&y).map(|(p, q)| Some((*q)? - (*p)?)).collect()
    };
    let point = delta(
        metric_values(&a.total(layout), layout, true),
        metric_values(&b.total(layout), layout, true),
    );
    let samples: Vec<Vec<Option<f64>>> = (0..replicates)
        .into_par_iter()
        .map(|r| {
            delta(
                metric_values(&a.replicate(layout, r), layout, false),
                metric_values(&b.replicate(layout, r), layout, false),
            )
        })
        .collect();
    metric_names(layout)
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let values: Vec<f64> = samples.iter().filter_map(|s| s[i]).collect();
            (name, percentile_interval(point[i], values, replicates))
        })
        .collect()
}

/// How a message names a run's join key. The file keeps the engine's own name, which tells a
/// request hash with the system instruction from one without (report.json says
/// `request_hash` of both, but their keys, and so their weights, differ).
fn join_words(joined_by: &str) -> String {
    match joined_by {
        "ExplicitKey" => "ids (explicit_key)".into(),
        "RequestHash" => "the request's hash (request_hash)".into(),
        "RequestAndSystemHash" => {
            "the hash of the request and its system instruction (request_hash)".into()
        }
        "LineOrder" => "line order (--join line)".into(),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poisson::unit_stream;
    use crate::resample::NamedCounts;

    fn run(seed: u64, exact: &[i64]) -> RunReplicates {
        let counts: Vec<NamedCounts> = exact
            .iter()
            .map(|&e| NamedCounts {
                exact: e,
                ..NamedCounts::default()
            })
            .collect();
        let units: Vec<(u64, &NamedCounts)> = counts
            .iter()
            .enumerate()
            .map(|(i, c)| (unit_stream(seed, &i.to_string()), c))
            .collect();
        let mut sums = Replicates::new(100, false);
        sums.add(&units);
        RunReplicates {
            seed,
            expected_sha256: "ab".repeat(32),
            joined_by: "explicit_key".into(),
            cluster_by: None,
            sums,
        }
    }

    #[test]
    fn a_run_against_itself_differs_by_exactly_zero_and_round_trips() {
        let a = run(1, &[1, 0, 1, 1, 0, 1]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(REPLICATES_FILE);
        std::fs::write(&path, a.to_bytes()).unwrap();
        assert_eq!(RunReplicates::read(&path).unwrap(), a);
        std::fs::write(&path, b"{}").unwrap();
        let message = RunReplicates::read(&path).unwrap_err().to_string();
        assert!(message.contains("not a replicates file"), "{message}");
        let layout = Layout::fixed_only();
        for (_, interval) in paired_delta(&a.sums, &a.sums, &layout, 100) {
            if interval.value.is_some() {
                assert_eq!((interval.low, interval.high), (Some(0.0), Some(0.0)));
            }
        }
    }

    #[test]
    fn runs_that_weigh_units_otherwise_are_refused_with_what_differs() {
        let a = run(1, &[1, 0]);
        let mut b = run(2, &[1, 1]);
        b.expected_sha256 = "cd".repeat(32);
        let message = a.check_pairs_with("A", &b, "B").unwrap_err().to_string();
        assert!(
            message.contains("A and B cannot be paired replicate by replicate: their seed (1 and 2), test set (sha256 abababababab… and cdcdcdcdcdcd…) differ"),
            "{message}"
        );
        assert!(a.check_pairs_with("A", &run(1, &[0, 0]), "B").is_ok());
    }

    #[test]
    fn a_different_join_key_is_named_in_the_words_of_the_report() {
        let mut a = run(1, &[1, 0]);
        let mut b = run(1, &[1, 0]);
        a.joined_by = "ExplicitKey".into();
        b.joined_by = "RequestAndSystemHash".into();
        let message = a.check_pairs_with("A", &b, "B").unwrap_err().to_string();
        assert!(
            message.contains("join key (ids (explicit_key) and the hash of the request and its system instruction (request_hash)) differs"),
            "{message}"
        );
    }
}
