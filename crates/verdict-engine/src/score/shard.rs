//! Sharded runs: `verdict score --shard I/N` writes one part's sums and per-example records
//! (its *partial state*) to a directory, and `verdict merge` finishes the report from all N
//! parts exactly as a single run would: every sum is an integer count, quantiles are kept as
//! counts per distinct value, and records are read back in expected-file order.
//!
//! A partial state directory holds `partial.json` (the settings, the sums, the worst examples),
//! `records.bin` and `lines.jsonl` (per example, in expected-file order). The three are moved
//! into place as one set, `partial.json` last, so a directory holds one part whole;
//! `partial.json` records the size and SHA-256 of the other two, which the merge checks before
//! it reads them.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::records::{LINES_FILE, Part, PartFiles, RECORDS_FILE};
use super::request::{ScoreRequest, Shard, WholeRun};
use verdict_core::accumulate::Accumulator;
use verdict_core::error::{Error, Result};
use verdict_core::output::Staged;
use verdict_core::poisson::Replicates;
use verdict_core::spec::Spec;
use verdict_input::join::{JoinMode, JoinedBy};

/// The file that describes a part.
pub const PARTIAL_JSON: &str = "partial.json";

/// Bumped whenever the partial state's meaning changes; parts of different formats never merge.
/// 5: exact match judges the whole answer in every mode, counted by the accumulator.
/// 6: the counts of the spec-coverage check (spec values checked against the data).
/// 7: the size and SHA-256 of the records and lines files; the sums count the outputs the
/// schema check could not decide.
/// 8: the Poisson bootstrap's replicate sums.
const FORMAT: u32 = 8;

/// What a part was scored with: every setting that changes the report, and what identifies
/// its inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    spec: PathBuf,
    spec_text: String,
    /// The JSON Schema's text, when the spec names one.
    schema_text: Option<String>,
    expected: PathBuf,
    predictions: Vec<PathBuf>,
    /// Each input file (expected first, then every prediction file the paths expand to), its
    /// size and its digest: shards given different data, as a regenerated file between CI
    /// jobs, are refused rather than merged into a report of no run.
    inputs: Vec<InputFile>,
    join_by_line: bool,
    repair: bool,
    bootstrap: Option<usize>,
    seed: u64,
    cluster_by: Option<String>,
}

impl Settings {
    /// The settings of `request`, scored with these spec and schema texts on these `inputs`.
    pub fn new(
        request: &ScoreRequest,
        spec_text: String,
        schema_text: Option<String>,
        inputs: Vec<InputFile>,
    ) -> Settings {
        Settings {
            spec: request.spec.clone(),
            spec_text,
            schema_text,
            expected: request.expected.clone(),
            predictions: request.predictions.clone(),
            inputs,
            join_by_line: request.join == JoinMode::Line,
            repair: request.repair,
            bootstrap: request.bootstrap,
            seed: request.seed,
            cluster_by: request.cluster_by.as_ref().map(|c| c.text.clone()),
        }
    }

    /// What differs between two parts' settings, in words, if anything does.
    fn difference(&self, other: &Settings) -> Option<&'static str> {
        if (&self.spec, &self.spec_text, &self.schema_text)
            != (&other.spec, &other.spec_text, &other.schema_text)
        {
            Some("specs (the spec file, its text or its schema's text)")
        } else if (&self.expected, &self.predictions, &self.inputs)
            != (&other.expected, &other.predictions, &other.inputs)
        {
            Some("input files (their paths, sizes or contents)")
        } else if self != other {
            Some("scoring options (--join, --repair, --bootstrap, --seed or --cluster-by)")
        } else {
            None
        }
    }
}

/// An input file as a shard read it: the merge compares contents, not only sizes, since an
/// edit can keep a file's size (a label changed for another of the same length).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputFile {
    /// The file, as the shard named it.
    pub path: PathBuf,
    /// Its size in bytes when the digest was taken.
    pub size: u64,
    /// SHA-256 of its bytes as stored (compressed, for a gzip file), in hex.
    pub sha256: String,
}

/// Reads each file in `files` (each with its size when the shard began) through once and
/// digests it. A shard runs this beside its scoring, on a thread of its own beyond
/// `--threads`: one sequential read of files the scoring reads anyway, from the page cache
/// once either has read them, and SHA-256 at about 1–2 GB/s where the CPU has SHA
/// instructions. Gives up early, with an error no one reports, once `stop` is set (the
/// scoring failed).
pub fn digest_inputs(files: &[(PathBuf, u64)], stop: &AtomicBool) -> Result<Vec<InputFile>> {
    let mut buffer = vec![0; 1 << 20];
    files
        .iter()
        .map(|(path, _)| digest_file(path, stop, &mut buffer))
        .collect()
}

/// Reads `path` through, in pieces of `buffer`'s size, and gives its size and digest; stops
/// with an error once `stop` is set.
fn digest_file(path: &Path, stop: &AtomicBool, buffer: &mut [u8]) -> Result<InputFile> {
    let cannot_read = |e| Error::io(path, "cannot read", e);
    let mut file = std::fs::File::open(path).map_err(cannot_read)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Err(Error::Usage("the digest was stopped".into()));
        }
        let read = match file.read(buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(cannot_read(e)),
        };
        hasher.update(&buffer[..read]);
        size += read as u64;
    }
    Ok(InputFile {
        path: path.to_path_buf(),
        size,
        sha256: verdict_input::hex(&hasher.finalize()),
    })
}

/// Fails unless each of a part's files in `dir` is the file the shard wrote: of the size and
/// SHA-256 its `partial.json` records. A line duplicated in the lines file, or a byte changed
/// in the records, would otherwise become a confident report (or a corrupt examples.jsonl).
fn verify_part_files(dir: &Path, written: &PartFiles) -> Result<()> {
    let mut buffer = vec![0; 1 << 20];
    let go = AtomicBool::new(false);
    for (name, expected) in [
        (RECORDS_FILE, &written.records),
        (LINES_FILE, &written.lines),
    ] {
        let path = dir.join(name);
        let found = digest_file(&path, &go, &mut buffer)?;
        if (found.size, &found.sha256) != (expected.size, &expected.sha256) {
            let size = if found.size == expected.size {
                String::new()
            } else {
                format!(" ({} bytes, {} when written)", found.size, expected.size)
            };
            return Err(Error::Path {
                path,
                message: format!(
                    "does not match the checksum in {PARTIAL_JSON}{size}: the part was changed after it was written; score the shard again"
                ),
            });
        }
    }
    Ok(())
}

/// Fails unless the input files a shard listed when it began (`at_start`, with their sizes)
/// are the ones it scored (`scored`, listed and sized again by the scoring) and digested, each
/// of the same size then and now: otherwise the part's scores and its digests might describe
/// different files.
pub fn check_unchanged(
    at_start: &[(PathBuf, u64)],
    scored: &[(PathBuf, u64)],
    digested: &[InputFile],
) -> Result<()> {
    let changed = |path: &Path, message: String| Error::Path {
        path: path.to_path_buf(),
        message: format!(
            "changed while the shard was scored ({message}): score the shard again on files that stay as they are"
        ),
    };
    let paths = |files: &[(PathBuf, u64)]| files.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    let digested_paths: Vec<PathBuf> = digested.iter().map(|d| d.path.clone()).collect();
    let listed = paths(at_start);
    for other in [paths(scored), digested_paths] {
        if other != listed {
            let gone = listed.iter().find(|p| !other.contains(p));
            let new = other.iter().find(|p| !listed.contains(p));
            return Err(match (gone, new) {
                (Some(path), _) => changed(path, "gone from the files the paths name".into()),
                (None, Some(path)) => changed(path, "new among the files the paths name".into()),
                (None, None) => changed(
                    &listed[0],
                    "the files the paths name came in another order".into(),
                ),
            });
        }
    }
    for (((path, size), (_, scored)), digest) in at_start.iter().zip(scored).zip(digested) {
        let now = std::fs::metadata(path)
            .map_err(|e| Error::io(path, "cannot read", e))?
            .len();
        let later = [
            (*scored, "when it was read for scoring"),
            (digest.size, "when its digest was taken"),
            (now, "now"),
        ];
        if let Some((other, when)) = later.into_iter().find(|(other, _)| other != size) {
            return Err(changed(
                path,
                format!("{size} bytes when it began, {other} {when}"),
            ));
        }
    }
    Ok(())
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: u32,
    /// SHA-256 of the file's text with this field empty (see [`sign`]).
    sha256: String,
    verdict: String,
    shard: Shard,
    settings: Settings,
    total_examples: usize,
    orphans: usize,
    first_orphan: Option<String>,
    joined_by: JoinedBy,
    sums: Accumulator,
    replicates: Option<Replicates>,
    files: PartFiles,
}

/// The files of a part, in the order they are moved into place.
pub const PART_FILES: [&str; 3] = [RECORDS_FILE, LINES_FILE, PARTIAL_JSON];

/// Moves a scored part's files into `set` (staged with [`PART_FILES`]) and writes its
/// `partial.json`. Returns where `partial.json` will be.
pub fn write_part(set: &mut Staged<'_>, settings: Settings, part: &Part) -> Result<PathBuf> {
    let shard = part.shard.expect("only sharded runs write partial state");
    let files = part
        .written
        .clone()
        .expect("a shard digests the files it writes");
    set.adopt(RECORDS_FILE, &part.records)?;
    set.adopt(LINES_FILE, &part.lines)?;
    let header = Header {
        format: FORMAT,
        sha256: String::new(),
        verdict: env!("CARGO_PKG_VERSION").into(),
        shard,
        settings,
        total_examples: part.total_examples,
        orphans: part.orphans,
        first_orphan: part.first_orphan.clone(),
        joined_by: part.joined_by,
        sums: part.acc.clone(),
        replicates: part.replicates.clone(),
        files,
    };
    let mut json = serde_json::to_string(&header).expect("a partial state serializes");
    json.push('\n');
    set.write(PARTIAL_JSON, &sign(&json))
}

/// A header's `sha256` field, empty: the first such field of its text.
const UNSIGNED: &str = "\"sha256\":\"\"";

/// `unsigned` (a header's text, its `sha256` empty) with the digest of its bytes in that
/// field. The digest is of the text as written, never of a parse of it, so that nothing in
/// the sums (a float parsed back a bit off) can make a part fail its own check.
fn sign(unsigned: &str) -> String {
    let digest = verdict_input::hex(&Sha256::digest(unsigned.as_bytes()));
    unsigned.replacen(UNSIGNED, &format!("\"sha256\":\"{digest}\""), 1)
}

/// Whether `text`, a partial state whose `sha256` field holds `digest`, is the text that was
/// signed: the digest put back to empty gives the text it is the digest of.
fn signed_as_written(text: &str, digest: &str) -> bool {
    let field = format!("\"sha256\":\"{digest}\"");
    text.contains(&field)
        && verdict_input::hex(&Sha256::digest(
            text.replacen(&field, UNSIGNED, 1).as_bytes(),
        )) == digest
}

fn read_header(dir: &Path) -> Result<Header> {
    let path = dir.join(PARTIAL_JSON);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Error::io(
            &path,
            "cannot read (is this a directory written by verdict score --shard?)",
            e,
        )
    })?;
    let not_a_part = |e: serde_json::Error| Error::Path {
        path: path.clone(),
        message: format!(
            "not a partial state of this verdict ({e}): score the shard again with this version"
        ),
    };
    // The format first: a part of another format need not parse as this one's header.
    #[derive(Deserialize)]
    struct Format {
        format: u32,
    }
    let format = serde_json::from_str::<Format>(&text)
        .map_err(not_a_part)?
        .format;
    if format != FORMAT {
        return Err(Error::Path {
            path,
            message: format!(
                "partial state format {format} (this verdict reads {FORMAT}): score the shard again with this version"
            ),
        });
    }
    let header: Header = serde_json::from_str(&text).map_err(not_a_part)?;
    // Sums edited by hand may still add up: any change to the text is refused.
    if !signed_as_written(&text, &header.sha256) {
        return Err(Error::Path {
            path,
            message: "does not match its checksum: the part was changed after it was written; score the shard again".into(),
        });
    }
    Ok(header)
}

/// Reads the parts in `dirs`, checks they are the N shards of one run and that each part's
/// files are the ones its shard wrote (on the current rayon pool, a part at a time on each
/// thread), and returns the run's request (with the gates, baseline and threads of the
/// merge), its spec, the parts in shard order and the SHA-256 of the expected file the shards
/// read.
pub fn load_parts(
    dirs: &[PathBuf],
    whole_run: WholeRun,
) -> Result<(ScoreRequest, Spec, Vec<Part>, String)> {
    let mut headers = Vec::new();
    for dir in dirs {
        headers.push((dir, read_header(dir)?));
    }
    let (first_dir, first) = &headers[0];
    let count = first.shard.count;
    if headers.len() != count {
        return Err(Error::Usage(format!(
            "{} is shard {}/{count}: merge needs all {count} shards, got {}",
            first_dir.display(),
            first.shard.index,
            headers.len()
        )));
    }
    let mut slots: Vec<Option<&(&PathBuf, Header)>> = vec![None; count];
    for entry in &headers {
        let (dir, h) = entry;
        let disagree = |what: &str| {
            Error::Usage(format!(
                "{} and {} are not shards of the same run: their {what} differ",
                first_dir.display(),
                dir.display()
            ))
        };
        if let Some(what) = first.settings.difference(&h.settings) {
            return Err(disagree(what));
        }
        if h.shard.count != count {
            return Err(disagree("shard counts"));
        }
        // partial.json is a file anyone can edit: a shard number outside its count is a bad
        // part, not an index to trust.
        if h.shard.index >= count {
            return Err(Error::Path {
                path: dir.join(PARTIAL_JSON),
                message: format!(
                    "shard {}/{count} is not a shard number (expected 0 <= I < {count}): the part is damaged; score the shard again",
                    h.shard.index
                ),
            });
        }
        if (h.total_examples, h.orphans, h.joined_by)
            != (first.total_examples, first.orphans, first.joined_by)
        {
            return Err(disagree("inputs (examples, orphans or join)"));
        }
        if let Some((other, _)) = slots[h.shard.index] {
            return Err(Error::Usage(format!(
                "{} and {} are both shard {}/{count}",
                other.display(),
                dir.display(),
                h.shard.index
            )));
        }
        // The sums must be those of the examples the shard owns: an edited partial.json whose
        // counts do not add up would otherwise become a confident report.
        let owned = (h.total_examples + count - 1 - h.shard.index) / count;
        let sums = &h.sums;
        if sums.examples != owned
            || sums.validity.total() != sums.examples
            || sums.missing_predictions > sums.examples
        {
            return Err(Error::Path {
                path: dir.join(PARTIAL_JSON),
                message: format!(
                    "its sums do not add up (shard {}/{count} of {} examples owns {owned}; the part counts {} examples, {} by validity tier, {} missing): the part is damaged; score the shard again",
                    h.shard.index,
                    h.total_examples,
                    sums.examples,
                    sums.validity.total(),
                    sums.missing_predictions
                ),
            });
        }
        slots[h.shard.index] = Some(entry);
    }
    // Every part is read through; the first changed one on the command line is named.
    let verified: Vec<Result<()>> = headers
        .par_iter()
        .map(|(dir, h)| verify_part_files(dir, &h.files))
        .collect();
    verified.into_iter().collect::<Result<()>>()?;
    let s = &first.settings;
    // The shards agree on their inputs (checked above), the expected file's digest first.
    let expected_sha256 = s
        .inputs
        .first()
        .map(|i| i.sha256.clone())
        .unwrap_or_default();
    let spec = verdict_core::spec::parse(&s.spec, &s.spec_text)?;
    let request = ScoreRequest {
        spec: s.spec.clone(),
        spec_text: None,
        expected: s.expected.clone(),
        predictions: s.predictions.clone(),
        join: if s.join_by_line {
            JoinMode::Line
        } else {
            JoinMode::Key
        },
        repair: s.repair,
        threads: whole_run.threads,
        gates: whole_run.gates,
        baseline: whole_run.baseline,
        max_drop: whole_run.max_drop,
        max_drop_overrides: whole_run.max_drop_overrides,
        bootstrap: s.bootstrap,
        seed: s.seed,
        cluster_by: s
            .cluster_by
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(Error::Usage)?,
        shard: None,
        keep_run: false,
        examples: whole_run.examples,
        max_line_bytes: whole_run.max_line_bytes,
    };
    let parts = slots
        .into_iter()
        .map(|slot| {
            let (dir, h) = slot.expect("every shard index was filled above");
            Part {
                shard: Some(h.shard),
                acc: h.sums.clone(),
                replicates: h.replicates.clone(),
                total_examples: h.total_examples,
                orphans: h.orphans,
                first_orphan: h.first_orphan.clone(),
                joined_by: h.joined_by,
                records: dir.join(RECORDS_FILE),
                lines: dir.join(LINES_FILE),
                written: Some(h.files.clone()),
                inputs: h
                    .settings
                    .inputs
                    .iter()
                    .map(|input| (input.path.clone(), input.size))
                    .collect(),
                line_order: None,
            }
        })
        .collect();
    Ok((request, spec, parts, expected_sha256))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_partial_state_is_told_from_any_change_to_its_text() {
        let unsigned = "{\"format\":7,\"sha256\":\"\",\"sums\":{\"examples\":2,\"sha256\":\"\"}}\n";
        let signed = sign(unsigned);
        // SHA-256 of `unsigned`, as `sha256sum` prints it; only the first field is filled.
        let digest = "f338956e2f87389cd1d47582eb7b96475a6ae9eb604c8f666b5484b8a078b135";
        assert_eq!(
            signed,
            unsigned.replacen("\"sha256\":\"\"", &format!("\"sha256\":\"{digest}\""), 1)
        );
        assert!(signed_as_written(&signed, digest));
        let edited = signed.replace("\"examples\":2", "\"examples\":3");
        assert!(!signed_as_written(&edited, digest));
        let pretty = signed.replace(",", ", ");
        assert!(!signed_as_written(&pretty, digest));
        assert!(!signed_as_written(unsigned, ""));
    }

    #[test]
    fn digests_tell_files_of_one_size_apart_and_changes_during_a_run_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("predictions.jsonl");
        std::fs::write(&path, "{\"output\": \"[1]\"}\n").unwrap();
        let at_start = vec![(path.clone(), 18)];
        let go = AtomicBool::new(false);
        let first = digest_inputs(&at_start, &go).unwrap();
        // SHA-256 of the bytes, as `sha256sum` prints it.
        assert_eq!(
            first[0].sha256,
            "dce7d2ad264cc89738d91e99939bf465cecaea7864cfcaa2a9de4595fc5af353"
        );
        assert_eq!(first[0].size, 18);
        std::fs::write(&path, "{\"output\": \"[2]\"}\n").unwrap();
        let second = digest_inputs(&at_start, &go).unwrap();
        assert_eq!(second[0].size, first[0].size);
        assert_ne!(second[0].sha256, first[0].sha256);
        check_unchanged(&at_start, &at_start, &second).unwrap();
        let stop = AtomicBool::new(true);
        assert!(digest_inputs(&at_start, &stop).is_err());

        let refused = |scored: &[(PathBuf, u64)], digested: &[InputFile]| {
            check_unchanged(&at_start, scored, digested)
                .unwrap_err()
                .to_string()
        };
        let advice = "score the shard again on files that stay as they are";
        // Grown after the digest was taken.
        std::fs::write(&path, "{\"output\": \"[2]\"}\n{}\n").unwrap();
        let err = refused(&at_start, &second);
        assert!(
            err.ends_with(&format!("predictions.jsonl: changed while the shard was scored (18 bytes when it began, 21 now): {advice}")),
            "{err}"
        );
        // Grown before the digest, or before the scoring read it.
        let grown = digest_inputs(&at_start, &go).unwrap();
        let err = refused(&at_start, &grown);
        assert!(
            err.contains("(18 bytes when it began, 21 when its digest was taken)"),
            "{err}"
        );
        let err = refused(&[(path.clone(), 21)], &grown);
        assert!(
            err.contains("(18 bytes when it began, 21 when it was read for scoring)"),
            "{err}"
        );
        // A file of a directory or glob that appeared or went meanwhile.
        let other = dir.path().join("more.jsonl");
        let err = refused(&[(path.clone(), 18), (other.clone(), 2)], &second);
        assert!(err.ends_with(&format!("more.jsonl: changed while the shard was scored (new among the files the paths name): {advice}")), "{err}");
        let err = refused(&[], &second);
        assert!(err.contains("predictions.jsonl: changed while the shard was scored (gone from the files the paths name)"), "{err}");
        let err = refused(&at_start, &[]);
        assert!(
            err.contains("(gone from the files the paths name)"),
            "{err}"
        );
    }
}
