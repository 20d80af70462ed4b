//! The readers of downloaded training logs, through [`read_all`]: TensorBoard per-tag files,
//! W&B exports and Lightning's `metrics.csv`, and the `--map` hints.

use super::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const SERIES: &str = "Wall time,Step,Value\n1761800000.5,10,2.0\n1761800070.5,20,1.5\n";

#[test]
fn tensorboard_download_names_and_an_accuracy_csv_make_one_run() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "run-.-tag-train_loss.csv", SERIES);
    write(
        dir.path(),
        "run-.-tag-val_loss.csv",
        "Wall time,Step,Value\n1,20,1.7\n",
    );
    write(
        dir.path(),
        "run-.-tag-val_acc.csv",
        "Wall time,Step,Value\n1,20,0.6\n",
    );
    let runs = read_all(&[dir.path().to_path_buf()], &[]).unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run.format, Format::Tensorboard, "not Vertex's tags");
    assert_eq!(run.files.len(), 3);
    assert_eq!(run.points[1].valid_loss, Some(1.7));
    assert_eq!(run.points[1].valid_accuracy, Some(0.6));
}

#[test]
fn runs_of_one_download_folder_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "run-a-tag-train_loss.csv", SERIES);
    write(dir.path(), "run-b-tag-train_loss.csv", SERIES);
    let runs = read_all(&[dir.path().to_path_buf()], &[]).unwrap();
    let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names.len(), 2);
    assert!(
        names[0].ends_with('a') && names[1].ends_with('b'),
        "{names:?}"
    );
}

#[test]
fn a_tag_verdict_does_not_read_is_an_error_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let lr = write(
        dir.path(),
        "run-.-tag-learning_rate.json",
        "[[1, 10, 0.001]]",
    );
    let e = read_all(&[lr], &[]).unwrap_err().to_string();
    assert!(
        e.contains("run-.-tag-learning_rate.json: tag `learning_rate` (from the file name) is not a series verdict reads"),
        "{e}"
    );
    let acc = write(
        dir.path(),
        "eval_fraction_of_correct_next_step_preds.csv",
        SERIES,
    );
    let e = read_all(&[acc], &[]).unwrap_err().to_string();
    assert!(e.contains("no loss among its files"), "{e}");
}

#[test]
fn lightning_rows_merge_by_step_and_openai_stays_openai() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "metrics.csv",
        "epoch,step,train_loss_step,train_loss_epoch,val_loss,val_acc\n0,49,2.0,,,\n0,99,1.8,1.9,,\n0,99,,,1.95,0.4\n",
    );
    let runs = read_all(&[path], &[]).unwrap();
    let run = &runs[0];
    assert_eq!(run.format, Format::LightningCsv);
    assert_eq!(run.points.len(), 2);
    assert_eq!(
        run.points[1].train_loss,
        Some(1.8),
        "the per-step value, not the epoch mean"
    );
    assert_eq!(run.points[1].valid_loss, Some(1.95));
    assert_eq!(run.points[1].valid_accuracy, Some(0.4));
    assert_eq!(run.points[1].epoch, Some(0.0));
    let openai = write(
        dir.path(),
        "results.csv",
        "step,train_loss,valid_loss\n1,2.0,2.1\n",
    );
    assert_eq!(
        read_all(&[openai], &[]).unwrap()[0].format,
        Format::OpenaiResults
    );
}

#[test]
fn wandb_runs_are_named_by_file_and_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "export.csv",
        "\"Step\",\"r1 - train/loss\",\"r1 - train/loss__MIN\",\"r1 - train/loss__MAX\",\"r2 - train/loss\"\n\"0\",\"2\",\"2\",\"2\",\"3\"\n",
    );
    let runs = read_all(&[path], &[]).unwrap();
    let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["export.csv:r1", "export.csv:r2"]);
    assert!(runs.iter().all(|r| r.format == Format::WandbHistory));
}

#[test]
fn map_hints_name_the_closest_column_or_list_them() {
    let cols: Vec<String> = ["iteration", "loss"]
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
    assert_eq!(closest("Iteraton", &cols), Some(&cols[0]));
    assert_eq!(closest("zzz", &cols), None);
    assert_eq!(
        unused_map("zzz", Role::Step, &cols),
        "--map zzz=step: no CSV input has a column named \"zzz\"; the columns are (iteration, loss)"
    );
    assert_eq!(
        map_hint(&cols, &[]),
        ", e.g. --map iteration=step --map loss=train_loss"
    );
    assert_eq!(
        map_hint(&cols, &[Role::Step]),
        ", e.g. --map loss=train_loss"
    );
}
