//! Reading metrics exports: finds out what each file is from its content (never from its
//! extension), decodes base64, reads CSV or JSON, and merges per-tag files into runs.
//!
//! Every value is kept as the file gives it; an empty cell (or a JSON `null`) is a missing
//! value, never a zero. A malformed file is an input error that names the file and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::Value;

mod trainer;

use crate::series::{ColumnMap, Format, Point, Role, Series, TrainerState};
use verdict_core::error::{Error, Location, Result};
use verdict_core::files::public_path;
use verdict_core::quote::{list, plain};

mod cells;
#[cfg(test)]
mod exports_tests;
mod names;
mod wandb;

use cells::{Source, csv_error, line_of, parse_number, to_step};
use names::NamedTag;

/// Column (and JSON key) names each role is recognised by, lower case, without Vertex's
/// leading `/`.
const KNOWN: &[(&str, Role)] = &[
    ("step", Role::Step),
    ("step_number", Role::Step),
    ("epoch", Role::Epoch),
    ("train_loss", Role::TrainLoss),
    ("train_total_loss", Role::TrainLoss),
    ("valid_loss", Role::ValidLoss),
    ("validation_loss", Role::ValidLoss),
    ("eval_total_loss", Role::ValidLoss),
    ("train_accuracy", Role::TrainAccuracy),
    ("train_mean_token_accuracy", Role::TrainAccuracy),
    (
        "train_fraction_of_correct_next_step_preds",
        Role::TrainAccuracy,
    ),
    ("valid_accuracy", Role::ValidAccuracy),
    ("valid_mean_token_accuracy", Role::ValidAccuracy),
    ("validation_mean_token_accuracy", Role::ValidAccuracy),
    (
        "eval_fraction_of_correct_next_step_preds",
        Role::ValidAccuracy,
    ),
    ("full_valid_loss", Role::FullValidLoss),
    ("full_valid_accuracy", Role::FullValidAccuracy),
    ("full_valid_mean_token_accuracy", Role::FullValidAccuracy),
];

/// The Vertex AI tuning series, as TensorBoard names them (without the leading `/`).
const VERTEX_TAGS: [(&str, Role); 4] = [
    ("train_total_loss", Role::TrainLoss),
    ("eval_total_loss", Role::ValidLoss),
    (
        "train_fraction_of_correct_next_step_preds",
        Role::TrainAccuracy,
    ),
    (
        "eval_fraction_of_correct_next_step_preds",
        Role::ValidAccuracy,
    ),
];

/// The column Azure names differently from OpenAI; its presence tells the two apart.
const AZURE_MARKER: &str = "validation_mean_token_accuracy";

fn normalise(name: &str) -> String {
    names::canonical(name)
}

/// The role a column, key or tag is recognised by: the providers' names first, then the
/// common names of Lightning, W&B and TensorBoard logs.
fn known_role(name: &str) -> Option<Role> {
    let name = normalise(name);
    KNOWN
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, r)| *r)
        .or_else(|| names::alias(&name))
}

/// Whether a format is a per-tag TensorBoard download, whose files of one run are merged.
fn per_tag(format: Format) -> bool {
    matches!(format, Format::VertexTensorboard | Format::Tensorboard)
}

fn is_vertex_tag(name: &str) -> bool {
    let name = normalise(name);
    VERTEX_TAGS.iter().any(|(t, _)| *t == name)
}

/// One file as read, before files of the same run are merged.
struct FileRead {
    run: String,
    format: Format,
    base64: bool,
    points: Vec<Point>,
    trainer: Option<TrainerState>,
}

/// Which `--map`s matched a column, and every CSV column seen (for a suggestion when one
/// did not).
struct MapUse {
    used: Vec<bool>,
    columns: Vec<String>,
}

/// Reads every file (a directory stands for its files, in name order) and returns one
/// [`Series`] per run, in the order runs first appear. Per-tag TensorBoard files of one run
/// (`run-<run>-tag-<tag>`, names that differ only by the tag, or files named by the tag in
/// one folder) are one run; a W&B export holds as many runs as it names. A `--map` that no
/// file's header has is a usage error.
pub fn read_all(paths: &[PathBuf], maps: &[ColumnMap]) -> Result<Vec<Series>> {
    let mut use_ = MapUse {
        used: vec![false; maps.len()],
        columns: Vec::new(),
    };
    let mut runs: Vec<(Series, BTreeMap<u64, Point>)> = Vec::new();
    for path in expand(paths)? {
        for read in read_file(&path, maps, &mut use_)? {
            add_run(&mut runs, &path, read)?;
        }
    }
    if let Some(unused) = maps.iter().zip(&use_.used).find(|(_, used)| !**used) {
        return Err(Error::Usage(unused_map(
            &unused.0.column,
            unused.0.role,
            &use_.columns,
        )));
    }
    let loss = [Role::TrainLoss, Role::ValidLoss, Role::FullValidLoss];
    if let Some((series, _)) = runs.iter().find(|(_, steps)| {
        !steps
            .values()
            .any(|p| loss.iter().any(|r| p.get(*r).is_some()))
    }) {
        return Err(Error::Usage(format!(
            "run {}: no loss among its files ({}): a run needs a training or validation loss tag (train_total_loss, eval_total_loss, train_loss, val_loss, ...)",
            series.name,
            list(series.files.iter().map(|f| plain(f)))
        )));
    }
    Ok(runs
        .into_iter()
        .map(|(mut series, steps)| {
            series.points = steps.into_values().collect();
            series
        })
        .collect())
}

/// The message for a `--map` column no input has: the closest column seen, if one is close,
/// else the columns there are.
fn unused_map(column: &str, role: Role, columns: &[String]) -> String {
    let hint = match closest(column, columns) {
        Some(c) => format!("; did you mean --map {}={}?", plain(c), role.name()),
        None if columns.is_empty() => String::new(),
        None => format!(
            "; the columns are ({})",
            list(columns.iter().map(|c| plain(c)))
        ),
    };
    format!(
        "--map {}={}: no CSV input has a column named {:?}{hint}",
        column,
        role.name(),
        column
    )
}

/// The column most like `column` (Jaro-Winkler similarity ≥ 0.8, ignoring case: a typo or a
/// left-out letter), if any.
fn closest<'a>(column: &str, columns: &'a [String]) -> Option<&'a String> {
    let wanted = column.trim().to_ascii_lowercase();
    columns
        .iter()
        .map(|c| (strsim::jaro_winkler(&wanted, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Adds one file's run: a new run, or more tags of a per-tag TensorBoard run already read.
fn add_run(
    runs: &mut Vec<(Series, BTreeMap<u64, Point>)>,
    path: &Path,
    read: FileRead,
) -> Result<()> {
    let file = public_path(&path.to_string_lossy());
    match runs.iter_mut().find(|(s, _)| s.name == read.run) {
        // Only per-tag files share a run name; anything else is a file given twice.
        Some((series, steps))
            if per_tag(series.format) && per_tag(read.format) && !series.files.contains(&file) =>
        {
            series.files.push(file);
            series.base64 |= read.base64;
            merge_points(steps, read.points);
        }
        Some(_) => {
            return Err(Error::Path {
                path: path.to_path_buf(),
                message: format!("run {} is given twice", read.run),
            });
        }
        None => {
            let mut steps = BTreeMap::new();
            merge_points(&mut steps, read.points);
            runs.push((
                Series {
                    name: read.run,
                    files: vec![file],
                    format: read.format,
                    base64: read.base64,
                    points: Vec::new(),
                    trainer: read.trainer,
                },
                steps,
            ));
        }
    }
    Ok(())
}

/// Later values for a step fill in or replace earlier ones (TensorBoard logs a step again
/// after a restart; the later value is the one that counts).
fn merge_points(steps: &mut BTreeMap<u64, Point>, points: Vec<Point>) {
    for point in points {
        steps
            .entry(point.step)
            .and_modify(|p| p.merge(&point))
            .or_insert(point);
    }
}

fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        // A Trainer's checkpoint folder or run directory stands for its trainer_state.json
        // alone: the weights beside it are not metrics.
        if path.is_dir()
            && let Some(state) = trainer::state_in(path)
        {
            files.push(state);
        } else if path.is_dir() {
            let entries =
                std::fs::read_dir(path).map_err(|e| Error::io(path, "cannot list directory", e))?;
            let mut inside: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && !p
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            if inside.is_empty() {
                return Err(Error::Path {
                    path: path.clone(),
                    message: "the directory holds no files".into(),
                });
            }
            inside.sort();
            files.extend(inside);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(Error::Path {
                path: path.clone(),
                message: "no such file".into(),
            });
        }
    }
    Ok(files)
}

/// The base64 decoder: standard alphabet, padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The decoded text when `text` is base64 of a CSV or JSON export, else `None`. A CSV header
/// holds commas and JSON starts with a bracket, neither of which is a base64 character, so a
/// plain export is never mistaken for base64.
pub fn decode_base64(text: &str) -> Option<String> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let alphabet_only = compact
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=');
    if compact.len() < 4 || !alphabet_only {
        return None;
    }
    let decoded = String::from_utf8(BASE64.decode(compact).ok()?).ok()?;
    let trimmed = decoded.trim_start_matches('\u{feff}').trim_start();
    (decoded.contains(',') || trimmed.starts_with(['{', '['])).then_some(decoded)
}

/// The tag a per-tag file's name gives (see [`names::tag_in_name`]).
fn tag_in_name(path: &Path) -> Option<NamedTag> {
    names::tag_in_name(path, &VERTEX_TAGS, known_role)
}

fn read_file(path: &Path, maps: &[ColumnMap], use_: &mut MapUse) -> Result<Vec<FileRead>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "cannot read", e))?;
    let mut src = Source {
        path,
        base64: false,
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| src.whole("not UTF-8 text: expected a CSV or JSON metrics export"))?;
    let mut text = text.trim_start_matches('\u{feff}').to_owned();
    if text.trim().is_empty() {
        return Err(src.whole("empty file: expected a CSV or JSON metrics export"));
    }
    if let Some(decoded) = decode_base64(&text) {
        text = decoded.trim_start_matches('\u{feff}').to_owned();
        src.base64 = true;
    }
    if let Some(reads) = read_trainer(&text, &src)? {
        return Ok(reads);
    }
    let tag = tag_in_name(path);
    let file = public_path(&path.to_string_lossy());
    if !text.trim_start().starts_with(['{', '['])
        && let Some(header) = text.lines().next()
    {
        let headers: Vec<String> = csv::Reader::from_reader(header.as_bytes())
            .headers()
            .map(|h| h.iter().map(|c| c.trim().to_owned()).collect())
            .unwrap_or_default();
        if wandb::is_wandb(&headers, known_role) {
            return Ok(wandb::read_wandb(&text, &src, known_role)?
                .into_iter()
                .map(|w| FileRead {
                    run: format!("{file}:{}", w.run),
                    format: Format::WandbHistory,
                    base64: src.base64,
                    points: w.points,
                    trainer: None,
                })
                .collect());
        }
    }
    let (format, points, used_tag) = if text.trim_start().starts_with(['{', '[']) {
        read_json(&text, &src, tag.as_ref())?
    } else {
        read_csv(&text, &src, maps, use_, tag.as_ref())?
    };
    let run = match tag.filter(|_| used_tag) {
        Some(named) => named.run,
        None => file,
    };
    Ok(vec![FileRead {
        run,
        format,
        base64: src.base64,
        points,
        trainer: None,
    }])
}

/// A Trainer state, when `text` is one: one run per evaluation set, named by the file (and
/// the set, when there are several).
fn read_trainer(text: &str, src: &Source<'_>) -> Result<Option<Vec<FileRead>>> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return Ok(None);
    };
    if !trainer::is_state(&map) {
        return Ok(None);
    }
    let (runs, state) = trainer::read(&map, src.path).map_err(|m| src.whole(m))?;
    let mut file = public_path(&src.path.to_string_lossy());
    // An absolute path is shown by its file name only; the checkpoint folder still says which
    // checkpoint's state this is.
    if src.path.is_absolute()
        && let Some(folder) = src
            .path
            .parent()
            .filter(|f| trainer::checkpoint_number(f).is_some())
        && let Some(name) = folder.file_name()
    {
        file = format!("{}/{file}", name.to_string_lossy());
    }
    Ok(Some(
        runs.into_iter()
            .map(|run| FileRead {
                run: match run.eval_set {
                    Some(set) => format!("{file} [eval set {set}]"),
                    None => file.clone(),
                },
                format: Format::HfTrainerState,
                base64: src.base64,
                points: run.points,
                trainer: Some(state.clone()),
            })
            .collect(),
    ))
}

type Read = (Format, Vec<Point>, bool);

fn read_csv(
    text: &str,
    src: &Source<'_>,
    maps: &[ColumnMap],
    use_: &mut MapUse,
    file_tag: Option<&NamedTag>,
) -> Result<Read> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(src, &e))?
        .iter()
        .map(str::to_owned)
        .collect();
    for header in &headers {
        if !use_.columns.contains(header) {
            use_.columns.push(header.clone());
        }
    }
    let lower: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
    let mut roles: Vec<Option<Role>> = vec![None; headers.len()];
    let mut mapped = vec![false; headers.len()];

    for (index, map) in maps.iter().enumerate() {
        let Some(col) = headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(map.column.trim()))
        else {
            continue;
        };
        if let Some(other) = roles.iter().position(|r| *r == Some(map.role)) {
            return Err(Error::Usage(format!(
                "--map: columns {:?} and {:?} are both mapped to {}",
                headers[other],
                headers[col],
                map.role.name()
            )));
        }
        roles[col] = Some(map.role);
        mapped[col] = true;
        use_.used[index] = true;
    }

    // TensorBoard's scalar download: `Wall time,Step,Value` (or just `step,value`), one tag
    // per file, the tag named only in the file name.
    let narrow = matches!(
        lower
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["step", "value"] | ["wall_time", "step", "value"]
    );
    if narrow {
        let value = headers.len() - 1;
        if roles[value].is_none() {
            roles[value] = Some(tag_role(file_tag, |m| src.at(1, m))?);
        }
    }

    for (col, name) in headers.iter().enumerate() {
        if roles[col].is_some() {
            continue;
        }
        let Some(role) = known_role(name) else {
            continue;
        };
        match roles.iter().position(|r| *r == Some(role)) {
            // A column the user mapped wins over one recognised by name.
            Some(other) if mapped[other] => {}
            Some(other) => {
                return Err(src.at(
                    1,
                    format!(
                        "columns `{}` and `{}` both read as {}: choose one with --map COL={}",
                        plain(&headers[other]),
                        plain(name),
                        role.name(),
                        role.name()
                    ),
                ));
            }
            None => roles[col] = Some(role),
        }
    }

    let has = |role: Role| roles.contains(&Some(role));
    let format = if narrow {
        tag_format(file_tag)
    } else if lower.iter().any(|h| is_vertex_tag(h)) {
        Format::VertexTensorboard
    } else if lower.iter().any(|h| h == AZURE_MARKER) {
        Format::AzureResults
    } else if !mapped.contains(&true) && has(Role::Step) && lower.iter().any(|h| h == "epoch") {
        // OpenAI and Azure result files have no epoch column; Lightning's CSVLogger always
        // writes one beside the step.
        Format::LightningCsv
    } else if lower.iter().any(|h| h == "train_loss") && has(Role::Step) {
        Format::OpenaiResults
    } else if mapped.contains(&true) {
        Format::Mapped
    } else {
        // A mistyped --map is the likelier cause than a file verdict does not know.
        if let Some(map) = maps
            .iter()
            .zip(&use_.used)
            .find(|(m, used)| !**used && closest(&m.column, &headers).is_some())
        {
            return Err(Error::Usage(unused_map(
                &map.0.column,
                map.0.role,
                &headers,
            )));
        }
        let hint = map_hint(&headers, &roles_found(&roles));
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
        return Err(src.at(
            1,
            format!(
                "unknown columns ({}): not an export verdict recognises (OpenAI, Azure, Vertex AI, TensorBoard, W&B, Lightning); say what the columns hold with --map COL=ROLE{} (roles: {})",
                list(headers.iter().map(|h| plain(h))),
                hint,
                roles.join(", ")
            ),
        ));
    };
    if !has(Role::Step) && !has(Role::Epoch) {
        return Err(src.at(
            1,
            format!(
                "no step or epoch column among ({}): map one with --map COL=step",
                list(headers.iter().map(|h| plain(h)))
            ),
        ));
    }
    // A per-tag file holds one series; whether its run has a loss is checked on the run.
    if !narrow
        && ![Role::TrainLoss, Role::ValidLoss, Role::FullValidLoss]
            .into_iter()
            .any(has)
    {
        return Err(src.at(
            1,
            format!(
                "no loss column among ({}): map one with --map COL=train_loss or COL=valid_loss",
                list(headers.iter().map(|h| plain(h)))
            ),
        ));
    }

    let step_role = if has(Role::Step) {
        Role::Step
    } else {
        Role::Epoch
    };
    let mut points = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(src, &e))?;
        let line = line_of(&record);
        let mut point = Point::default();
        let mut step = None;
        let mut any = false;
        for (col, role) in roles.iter().enumerate() {
            let Some(role) = *role else { continue };
            let cell = record.get(col).unwrap_or("").trim();
            if cell.is_empty() {
                // A missing value, not a zero: the metric was not computed at this step.
                continue;
            }
            let value = parse_number(cell)
                .map_err(|m| src.at(line, format!("column `{}`: {m}", plain(&headers[col]))))?;
            if role == step_role {
                step = Some(to_step(value).map_err(|m| {
                    src.at(line, format!("column `{}`: {m}", plain(&headers[col])))
                })?);
            }
            if role != Role::Step {
                point.set(role, Some(value));
                any |= role != Role::Epoch;
            }
        }
        if !any {
            // A row with no metric at all (a separator, a step with nothing logged).
            continue;
        }
        point.step =
            step.ok_or_else(|| src.at(line, format!("the {} cell is empty", step_role.name())))?;
        points.push(point);
    }
    if points.is_empty() {
        return Err(src.at(1, "no data rows: the file has a header but no values"));
    }
    Ok((format, points, narrow))
}

fn json_number(value: &Value, at: &str, src: &Source<'_>) -> Result<Option<f64>> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_f64()
            .filter(|v| v.is_finite())
            .map(Some)
            .ok_or_else(|| src.whole(format!("{at}: {n} is not a finite number"))),
        other => Err(src.whole(format!(
            "{at}: {} is not a number",
            plain(&other.to_string())
        ))),
    }
}

fn json_step(value: Option<&Value>, at: &str, src: &Source<'_>) -> Result<u64> {
    let number = value
        .map(|v| json_number(v, at, src))
        .transpose()?
        .flatten()
        .ok_or_else(|| src.whole(format!("{at}: no step")))?;
    to_step(number).map_err(|m| src.whole(format!("{at}: {m}")))
}

fn read_json(text: &str, src: &Source<'_>, file_tag: Option<&NamedTag>) -> Result<Read> {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(whole) => {
            // JSON Lines: one checkpoint object per line. Tried only when the first line is a
            // JSON value by itself, so that a broken pretty-printed file reports its own error.
            let first_is_json = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| serde_json::from_str::<Value>(l).is_ok());
            if !first_is_json {
                return Err(src.at(whole.line().max(1), format!("not JSON: {whole}")));
            }
            let mut items = Vec::new();
            for (index, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                items.push(
                    serde_json::from_str(line)
                        .map_err(|e| src.at(index + 1, format!("not JSON: {e}")))?,
                );
            }
            Value::Array(items)
        }
    };
    let is_checkpoint = |v: &Value| v.get("step_number").is_some() || v.get("metrics").is_some();
    match &value {
        Value::Object(map) if map.get("data").is_some_and(Value::is_array) => {
            let items = map["data"].as_array().map_or(&[][..], Vec::as_slice);
            read_checkpoints(items, "data", src)
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(is_checkpoint) => {
            read_checkpoints(items, "", src)
        }
        Value::Object(_) if is_checkpoint(&value) => {
            read_checkpoints(std::slice::from_ref(&value), "", src)
        }
        Value::Object(map) if map.keys().any(|k| is_vertex_tag(k)) => {
            let mut points = Vec::new();
            for (key, series) in map {
                let Some((_, role)) = VERTEX_TAGS.iter().find(|(t, _)| *t == normalise(key))
                else {
                    continue;
                };
                points.extend(read_series(series, *role, key, src)?);
            }
            finish_json(points, Format::VertexTensorboard, false, src)
        }
        Value::Array(_) => {
            let role = tag_role(file_tag, |m| src.whole(m))?;
            let points = read_series(&value, role, "", src)?;
            finish_json(points, tag_format(file_tag), true, src)
        }
        _ => Err(src.whole(
            "unknown JSON shape: expected an OpenAI checkpoint list ({\"data\": [{\"step_number\": …, \"metrics\": {…}}]}) or Vertex AI TensorBoard series ({\"/train_total_loss\": [[step, value], …], …})",
        )),
    }
}

/// The role of a per-tag file's values, from the tag in its name; a file whose name gives no
/// tag, or a tag verdict does not read, is an error (never a series silently dropped).
fn tag_role(file_tag: Option<&NamedTag>, error: impl Fn(String) -> Error) -> Result<Role> {
    let known = "train_total_loss, eval_total_loss, train_fraction_of_correct_next_step_preds, eval_fraction_of_correct_next_step_preds, train_loss, val_loss, eval_loss, train_acc, val_acc, and the others docs/curves.md lists";
    match file_tag {
        Some(NamedTag {
            role: Some(role), ..
        }) => Ok(*role),
        Some(named) => Err(error(format!(
            "tag `{}` (from the file name) is not a series verdict reads: expected a loss or accuracy tag ({known}); leave the file out, or rename it after what it holds",
            plain(&named.tag)
        ))),
        None => Err(error(format!(
            "a single series (step, value) must name its tag in the file name, as TensorBoard's download does (run-<run>-tag-<tag>.csv) or as <tag>.csv ({known}), or be mapped with --map value=ROLE"
        ))),
    }
}

/// A per-tag file's format: Vertex AI's when the tag is one of Vertex's, else TensorBoard's.
fn tag_format(file_tag: Option<&NamedTag>) -> Format {
    if file_tag.is_some_and(|t| is_vertex_tag(&t.tag)) {
        Format::VertexTensorboard
    } else {
        Format::Tensorboard
    }
}

/// The roles already given to columns, so that a hint does not suggest them twice.
fn roles_found(roles: &[Option<Role>]) -> Vec<Role> {
    roles.iter().flatten().copied().collect()
}

/// ` (e.g. --map iteration=step --map loss=train_loss)`: a guess, from the names, of what the
/// columns verdict does not know could be mapped to; empty when nothing can be guessed.
fn map_hint(headers: &[String], taken: &[Role]) -> String {
    let mut taken = taken.to_vec();
    let mut hints = Vec::new();
    for header in headers {
        if known_role(header).is_some() {
            continue;
        }
        if let Some(role) = names::guess(header).filter(|r| !taken.contains(r)) {
            taken.push(role);
            hints.push(format!("--map {}={}", plain(header), role.name()));
        }
    }
    if hints.is_empty() {
        String::new()
    } else {
        format!(", e.g. {}", hints.join(" "))
    }
}

fn finish_json(
    points: Vec<Point>,
    format: Format,
    used_tag: bool,
    src: &Source<'_>,
) -> Result<Read> {
    if points.is_empty() {
        return Err(src.whole("no values"));
    }
    Ok((format, points, used_tag))
}

/// OpenAI checkpoints: `step_number` and a `metrics` object (key names as in the result
/// file). The API lists them newest first; [`read_all`] sorts by step.
fn read_checkpoints(items: &[Value], prefix: &str, src: &Source<'_>) -> Result<Read> {
    let mut points = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let at = if prefix.is_empty() {
            format!("[{index}]")
        } else {
            format!("{prefix}[{index}]")
        };
        let metrics = item.get("metrics").unwrap_or(item);
        let step = item.get("step_number").or_else(|| metrics.get("step"));
        let mut point = Point {
            step: json_step(step, &format!("{at}.step_number"), src)?,
            ..Point::default()
        };
        let Some(metrics) = metrics.as_object() else {
            return Err(src.whole(format!("{at}.metrics: not an object")));
        };
        for (key, value) in metrics {
            if let Some(role) = known_role(key).filter(|r| *r != Role::Step) {
                point.set(
                    role,
                    json_number(value, &format!("{at}.metrics.{}", plain(key)), src)?,
                );
            }
        }
        points.push(point);
    }
    finish_json(points, Format::OpenaiCheckpoints, false, src)
}

/// One TensorBoard series: `[[wall_time, step, value], …]`, `[[step, value], …]` or
/// `[{"step": …, "value": …}, …]`.
fn read_series(series: &Value, role: Role, key: &str, src: &Source<'_>) -> Result<Vec<Point>> {
    let Some(items) = series.as_array() else {
        return Err(src.whole(format!("{}: expected a list of [step, value]", plain(key))));
    };
    let mut points = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let at = format!("{}[{index}]", plain(key));
        let (step, value) = match item {
            Value::Array(cells) if cells.len() == 2 => (cells.first(), cells.get(1)),
            Value::Array(cells) if cells.len() == 3 => (cells.get(1), cells.get(2)),
            Value::Object(map) => (map.get("step"), map.get("value")),
            _ => {
                return Err(src.whole(format!(
                    "{at}: expected [step, value], [wall_time, step, value] or {{\"step\": …, \"value\": …}}"
                )));
            }
        };
        let step = json_step(step, &at, src)?;
        let Some(value) = value
            .map(|v| json_number(v, &at, src))
            .transpose()?
            .flatten()
        else {
            continue;
        };
        let mut point = Point {
            step,
            ..Point::default()
        };
        point.set(role, Some(value));
        points.push(point);
    }
    Ok(points)
}

/// The task metric of one `verdict score` report; the file is named in any error.
pub fn read_score_metric(path: &Path, metric: &str) -> Result<Option<f64>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(path, "cannot read score report", e))?;
    let report: Value = serde_json::from_str(&text).map_err(|e| {
        Error::line(
            Location {
                path: path.to_path_buf(),
                line: e.line().max(1),
            },
            format!("not a verdict report.json: {e}"),
        )
    })?;
    verdict_core::gate::metric_value(&report, metric).map_err(|e| Error::Path {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(name: &str, text: &str, maps: &[ColumnMap]) -> Result<Vec<Series>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        read_all(&[path], maps)
    }

    fn one(name: &str, text: &str) -> Series {
        let mut runs = read_text(name, text, &[]).unwrap();
        assert_eq!(runs.len(), 1);
        runs.remove(0)
    }

    const OPENAI: &str = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy,full_valid_loss,full_valid_mean_token_accuracy\n\
        1,2.5,0.4,,,,\n\
        2,2.1,0.5,2.4,0.45,,\n\
        3,1.9,0.55,,,2.2,0.5\n";

    #[test]
    fn openai_results_keep_empty_cells_missing() {
        let s = one("results.csv", OPENAI);
        assert_eq!(s.format, Format::OpenaiResults);
        assert!(!s.base64);
        assert_eq!(s.points.len(), 3);
        assert_eq!(s.points[0].valid_loss, None, "an empty cell is not zero");
        assert_eq!(s.points[1].valid_loss, Some(2.4));
        assert_eq!(s.points[2].full_valid_loss, Some(2.2));
        assert_eq!(s.points[2].full_valid_accuracy, Some(0.5));
        assert_eq!(s.points[0].train_accuracy, Some(0.4));
    }

    #[test]
    fn base64_result_files_are_detected_by_content() {
        let encoded = base64::engine::general_purpose::STANDARD.encode(OPENAI);
        let s = one("step_metrics.csv", &encoded);
        assert!(s.base64);
        assert_eq!(s.points, one("plain.csv", OPENAI).points);
        // Padding dropped and the text wrapped: still read.
        let wrapped: String = encoded
            .trim_end_matches('=')
            .as_bytes()
            .chunks(76)
            .map(|c| format!("{}\n", String::from_utf8_lossy(c)))
            .collect();
        assert!(one("wrapped", &wrapped).base64);
        // Words that happen to be valid base64 are not taken for it.
        assert_eq!(decode_base64("abcd"), None);
        assert_eq!(decode_base64("step,value"), None);
        // A bad cell in a decoded file names the decoded line.
        let bad = base64::engine::general_purpose::STANDARD.encode("step,train_loss\n1,2.0\n2,x\n");
        let e = read_text("b.csv", &bad, &[]).unwrap_err().to_string();
        assert!(e.ends_with("b.csv:3: column `train_loss`: `x` is not a number (line of the base64-decoded text)"), "{e}");
    }

    #[test]
    fn azure_is_told_apart_by_its_column_name() {
        let s = one(
            "results.csv",
            "step,train_loss,train_mean_token_accuracy,valid_loss,validation_mean_token_accuracy,full_valid_loss,full_valid_mean_token_accuracy\n1,1.0,0.7,1.2,0.6,1.1,0.65\n",
        );
        assert_eq!(s.format, Format::AzureResults);
        assert_eq!(s.points[0].valid_accuracy, Some(0.6));
        assert_eq!(s.points[0].train_accuracy, Some(0.7));
    }

    #[test]
    fn openai_checkpoints_in_json_and_jsonl() {
        let list = r#"{"object": "list", "data": [
            {"object": "fine_tuning.job.checkpoint", "step_number": 20, "metrics": {"step": 20, "train_loss": 0.5, "train_mean_token_accuracy": 0.9, "valid_loss": 0.8, "valid_mean_token_accuracy": 0.8, "full_valid_loss": 0.7, "full_valid_mean_token_accuracy": null}},
            {"object": "fine_tuning.job.checkpoint", "step_number": 10, "metrics": {"step": 10, "train_loss": 0.9, "full_valid_loss": 0.9}}
        ], "has_more": false}"#;
        let s = one("checkpoints.json", list);
        assert_eq!(s.format, Format::OpenaiCheckpoints);
        assert_eq!(
            s.points.iter().map(|p| p.step).collect::<Vec<_>>(),
            [10, 20],
            "sorted by step"
        );
        assert_eq!(s.points[1].train_accuracy, Some(0.9));
        assert_eq!(s.points[1].full_valid_accuracy, None);
        let jsonl = "{\"step_number\": 5, \"metrics\": {\"train_loss\": 1.0, \"valid_loss\": 1.1}}\n{\"step_number\": 6, \"metrics\": {\"train_loss\": 0.9}}\n";
        assert_eq!(one("c.jsonl", jsonl).points.len(), 2);
        let e = read_text(
            "c.json",
            "{\"data\": [{\"step_number\": 1, \"metrics\": {\"valid_loss\": \"x\"}}]}",
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("data[0].metrics.valid_loss: \"x\" is not a number"),
            "{e}"
        );
    }

    #[test]
    fn vertex_series_by_tag_file_name_and_keyed_json() {
        let dir = tempfile::tempdir().unwrap();
        let train = dir.path().join("job.train_total_loss.csv");
        let eval = dir.path().join("job-eval_total_loss.json");
        std::fs::write(
            &train,
            "Wall time,Step,Value\n1700000000.5,1,2.0\n1700000001.5,2,1.5\n",
        )
        .unwrap();
        std::fs::write(&eval, "[[1700000001.5, 2, 1.8]]").unwrap();
        let runs = read_all(&[dir.path().to_path_buf()], &[]).unwrap();
        assert_eq!(runs.len(), 1, "per-tag files of one job are one run");
        let run = &runs[0];
        assert_eq!(run.format, Format::VertexTensorboard);
        // An absolute path is shown by its file name only; the tag is cut from it.
        assert_eq!(run.name, "job");
        assert_eq!(run.files.len(), 2);
        assert_eq!(run.points[1].train_loss, Some(1.5));
        assert_eq!(run.points[1].valid_loss, Some(1.8));

        let keyed = r#"{"/train_total_loss": [[1, 2.0], [2, 1.5]], "/eval_total_loss": [{"step": 2, "value": 1.7}],
            "/eval_fraction_of_correct_next_step_preds": [[2, 0.6]]}"#;
        let s = one("vertex.json", keyed);
        assert_eq!(s.format, Format::VertexTensorboard);
        assert_eq!(s.points[1].valid_accuracy, Some(0.6));
        let wide = one(
            "v.csv",
            "step,/train_total_loss,/eval_total_loss\n1,2.0,\n2,1.5,1.7\n",
        );
        assert_eq!(wide.format, Format::VertexTensorboard);
        assert_eq!(wide.points[0].valid_loss, None);
        let e = read_text("series.csv", "step,value\n1,2\n", &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("series.csv:1: a single series (step, value) must name its tag"),
            "{e}"
        );
    }

    #[test]
    fn mapped_columns_and_unknown_columns() {
        let text = "iteration,loss,val_loss\n1,2.0,2.2\n2,1.0,\n";
        let e = read_text("custom.csv", text, &[]).unwrap_err().to_string();
        assert!(
            e.contains("custom.csv:1: unknown columns (iteration, loss, val_loss)"),
            "{e}"
        );
        let maps: Vec<ColumnMap> = ["iteration=step", "LOSS=train_loss", "val_loss=valid_loss"]
            .iter()
            .map(|m| m.parse().unwrap())
            .collect();
        let s = read_text("custom.csv", text, &maps).unwrap().remove(0);
        assert_eq!(s.format, Format::Mapped);
        assert_eq!(s.points[1].step, 2);
        assert_eq!(s.points[1].valid_loss, None);
        let unused: Vec<ColumnMap> = vec!["nothing=step".parse().unwrap()];
        let e = read_text("results.csv", OPENAI, &unused)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no CSV input has a column named \"nothing\""),
            "{e}"
        );
        let no_loss: Vec<ColumnMap> = vec!["iteration=step".parse().unwrap()];
        let e = read_text("c.csv", "iteration,x\n1,2\n", &no_loss)
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.csv:1: no loss column"), "{e}");
    }

    #[test]
    fn bad_cells_and_files_name_the_line() {
        let e = read_text("r.csv", "step,train_loss\n1,2.0\n2,abc\n", &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("r.csv:3: column `train_loss`: `abc` is not a number"),
            "{e}"
        );
        let e = read_text("r.csv", "step,train_loss\n1.5,2.0\n", &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("r.csv:2: column `step`: `1.5` is not a step"),
            "{e}"
        );
        let e = read_text("r.csv", "step,train_loss\n1,NaN\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a finite number"), "{e}");
        let e = read_text("r.csv", "step,train_loss\n1,2.0,3\n", &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("r.csv:2: 3 fields where the header has 2"),
            "{e}"
        );
        let e = read_text("r.csv", "  \n", &[]).unwrap_err().to_string();
        assert!(
            e.ends_with("r.csv: empty file: expected a CSV or JSON metrics export"),
            "{e}"
        );
        let e = read_text("r.csv", "step,train_loss\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("r.csv:1: no data rows"), "{e}");
        let e = read_text("r.json", "{\n  \"data\": [\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("r.json:3: not JSON"), "{e}");
        let e = read_text(
            "r.csv",
            "step,train_loss,valid_loss,validation_loss\n1,2,3,4\n",
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("both read as valid_loss"), "{e}");
    }
}
