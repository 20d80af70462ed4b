//! `verdict.Scorer`: the engine's per-example judges, one example or a batch at a time, for
//! notebooks and training loops (docs/python-rewards.md). The Python class of the same name
//! (python/verdict/_scorer.py) adds the reward callable for TRL.

mod judged;
mod values;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use pyo3::prelude::*;
use pyo3::types::PyList;
use rayon::prelude::*;
use verdict_core::error::Error;
use verdict_core::resample::MAX_THREADS;

use crate::errors::to_py;
use crate::spec::SpecSource;
use judged::{Judged, Setup};
use values::Expected;

pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Scorer>()
}

/// An input error as `verdict.VerdictError` (exit code 2, no file or line).
fn usage(message: String) -> PyErr {
    to_py(Error::Usage(message))
}

/// Scores outputs one example at a time with a spec's judges.
#[pyclass(frozen, subclass, module = "verdict._native")]
pub(crate) struct Scorer {
    setup: Setup,
}

/// A batch taken from Python, ready to score without the GIL.
struct Batch {
    expected: Vec<Expected>,
    outputs: Vec<Option<String>>,
}

impl Batch {
    fn take(expected: &Bound<'_, PyAny>, outputs: &Bound<'_, PyAny>) -> PyResult<Batch> {
        let expected = items(expected, "expected")?;
        let outputs = items(outputs, "outputs")?;
        if expected.len() != outputs.len() {
            return Err(usage(format!(
                "score_many: {} expected outputs but {} outputs; expected one output per expected output, in the same order",
                expected.len(),
                outputs.len()
            )));
        }
        let expected = expected
            .iter()
            .enumerate()
            .map(|(i, e)| values::expected(e, &format!("expected[{i}]")))
            .collect::<Result<_, _>>()
            .map_err(usage)?;
        let outputs = outputs
            .iter()
            .enumerate()
            .map(|(i, o)| values::output(o, &format!("outputs[{i}]")))
            .collect::<Result<_, _>>()
            .map_err(usage)?;
        Ok(Batch { expected, outputs })
    }
}

/// The items of a Python iterable, in order.
fn items<'py>(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Vec<Bound<'py, PyAny>>> {
    if obj.is_instance_of::<pyo3::types::PyString>() || obj.is_instance_of::<pyo3::types::PyDict>()
    {
        return Err(usage(format!(
            "{name}: expected a list with one item per example, got a {}",
            values::type_name(obj)
        )));
    }
    let iter = obj.try_iter().map_err(|_| {
        usage(format!(
            "{name}: expected a list with one item per example, got {}",
            values::type_name(obj)
        ))
    })?;
    iter.collect()
}

impl Scorer {
    /// Judges a batch in parallel, in input order, on `threads` threads (rayon's pool when
    /// `None`). The first error in input order wins, whichever thread met it first.
    fn judge_all(&self, batch: Batch, threads: Option<usize>) -> Result<Vec<Judged>, String> {
        let setup = &self.setup;
        let judge = setup.judge();
        let run = || {
            batch
                .expected
                .into_par_iter()
                .zip(batch.outputs)
                .enumerate()
                .map_init(
                    verdict_core::anls::Patterns::default,
                    |patterns, (i, (e, o))| {
                        e.read()
                            .and_then(|expected| setup.example(&judge, patterns, &expected, o))
                            .map_err(|m| format!("expected[{i}]: {m}"))
                    },
                )
                .collect::<Vec<Result<Judged, String>>>()
        };
        let judged = match threads {
            None => run(),
            Some(n) => pool(n)?.install(run),
        };
        judged.into_iter().collect()
    }

    fn threads(threads: Option<i64>) -> PyResult<Option<usize>> {
        match threads {
            None => Ok(None),
            Some(n) if (1..=i64::from(MAX_THREADS)).contains(&n) => Ok(Some(n as usize)),
            Some(n) => Err(usage(format!(
                "threads: expected 1 to {MAX_THREADS}, got {n}"
            ))),
        }
    }

    /// The metric a reward names, checked against the spec: a name it does not have gets the
    /// list of those it has and the closest one.
    fn reward_metric(&self, metric: &str) -> PyResult<()> {
        let names = self.setup.metric_names();
        if let Some((_, higher_is_better)) = names.iter().find(|(n, _)| n == metric) {
            if *higher_is_better {
                return Ok(());
            }
            return Err(usage(format!(
                "reward on `{metric}`: it is an error (lower is better), not a reward; name one of {}",
                rewardable(&names)
            )));
        }
        if let Some(m) = verdict_core::summary::metric(metric) {
            return Err(usage(format!(
                "reward on `{metric}`: this spec has no such metric; it needs {} in the spec",
                verdict_core::summary::needs(m)
            )));
        }
        let best = names
            .iter()
            .filter(|(_, higher)| *higher)
            .map(|(n, _)| (strsim::jaro_winkler(metric, n), n))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .filter(|(score, _)| *score >= 0.7)
            .map(|(_, n)| format!("; did you mean `{n}`?"))
            .unwrap_or_default();
        Err(usage(format!(
            "reward on unknown metric `{}`: name one of {}{best}",
            verdict_core::quote::plain(metric),
            rewardable(&names)
        )))
    }
}

/// The pool of `threads` threads, started once per process: a training loop asks for the
/// same count every step, and starting threads for each batch would cost more than scoring a
/// small one.
fn pool(threads: usize) -> Result<Arc<rayon::ThreadPool>, String> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    // A panic while the map was held left it whole (an insert is the only change).
    let mut pools = POOLS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(pool) = pools.get(&threads) {
        return Ok(Arc::clone(pool));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map(Arc::new)
        .map_err(|e| format!("cannot start {threads} threads: {e}"))?;
    pools.insert(threads, Arc::clone(&pool));
    Ok(pool)
}

fn rewardable(names: &[(String, bool)]) -> String {
    names
        .iter()
        .filter(|(_, higher)| *higher)
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[pymethods]
impl Scorer {
    /// A scorer for `spec` (a path to an eval.toml or a dict of its keys), refused as the
    /// command line refuses it. `repair=True` scores repaired outputs, as `--repair` does.
    #[new]
    #[pyo3(signature = (spec, *, repair = false))]
    fn new(spec: &Bound<'_, PyAny>, repair: bool) -> PyResult<Self> {
        let (spec, schema) = SpecSource::from_py(spec)?.load()?;
        Ok(Scorer {
            setup: Setup::new(spec, schema, repair),
        })
    }

    /// The metrics `reward(metric=...)` accepts for this spec, in report.json's order.
    #[getter]
    fn metrics(&self) -> Vec<String> {
        self.setup
            .metric_names()
            .into_iter()
            .filter(|(_, higher)| *higher)
            .map(|(n, _)| n)
            .collect()
    }

    /// Scores one example: `expected` is JSON text or a Python value, `output` the model's
    /// text (None: no output).
    fn score_one<'py>(
        &self,
        py: Python<'py>,
        expected: &Bound<'py, PyAny>,
        output: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let expected = values::expected(expected, "expected")
            .and_then(|e| e.read().map_err(|m| format!("expected: {m}")))
            .map_err(usage)?;
        let output = values::output(output, "output").map_err(usage)?;
        let setup = &self.setup;
        let judge = setup.judge();
        let judged = setup
            .example(
                &judge,
                &mut verdict_core::anls::Patterns::default(),
                &expected,
                output,
            )
            .map_err(|m| usage(format!("expected: {m}")))?;
        pythonize::pythonize(py, &judged.view(setup)).map_err(|e| usage(format!("score_one: {e}")))
    }

    /// Scores examples in parallel with the GIL released: one dict per example, in input
    /// order, the same for any number of threads.
    #[pyo3(signature = (expected, outputs, *, threads = None))]
    fn score_many<'py>(
        &self,
        py: Python<'py>,
        expected: &Bound<'py, PyAny>,
        outputs: &Bound<'py, PyAny>,
        threads: Option<i64>,
    ) -> PyResult<Bound<'py, PyList>> {
        let threads = Self::threads(threads)?;
        let batch = Batch::take(expected, outputs)?;
        let judged = py
            .detach(|| self.judge_all(batch, threads))
            .map_err(usage)?;
        let dicts = judged
            .iter()
            .map(|j| pythonize::pythonize(py, &j.view(&self.setup)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| usage(format!("score_many: {e}")))?;
        PyList::new(py, dicts)
    }

    /// Checks that `metric` is one a reward can use on this spec (VerdictError otherwise).
    fn _check_metric(&self, metric: &str) -> PyResult<()> {
        self.reward_metric(metric)
    }

    /// The rewards of a batch: `metric` per example. `fallbacks` is `(invalid, undefined,
    /// exact)`: `invalid` where the output was scored as empty; where the example gives the
    /// metric no denominator, its `exact_match` if `exact`, else `undefined`.
    #[pyo3(signature = (expected, outputs, metric, fallbacks, threads = None))]
    fn _rewards(
        &self,
        py: Python<'_>,
        expected: &Bound<'_, PyAny>,
        outputs: &Bound<'_, PyAny>,
        metric: &str,
        fallbacks: (Option<f64>, Option<f64>, bool),
        threads: Option<i64>,
    ) -> PyResult<Vec<Option<f64>>> {
        let (invalid, undefined, exact) = fallbacks;
        self.reward_metric(metric)?;
        let threads = Self::threads(threads)?;
        let batch = Batch::take(expected, outputs)?;
        let judged = py
            .detach(|| self.judge_all(batch, threads))
            .map_err(usage)?;
        Ok(judged
            .iter()
            .map(|j| {
                if j.invalid() {
                    invalid
                } else if exact {
                    j.metric(metric).or_else(|| j.metric("exact_match"))
                } else {
                    j.metric(metric).or(undefined)
                }
            })
            .collect())
    }
}
