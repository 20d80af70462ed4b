//! The HTML report in a real headless browser (Debian's chromium, which `.ci/run` installs):
//! no console output at all, the script ran (heatmap painted, toggle works), the numbers are
//! the report's, and screenshots at desktop and phone widths are kept as test artifacts in
//! `target/test-artifacts/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{root, tempdir, verdict};

fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("VERDICT_CHROMIUM").map(PathBuf::from),
        Some("/usr/bin/chromium".into()),
    ];
    candidates.into_iter().flatten().find(|p| p.exists())
}

/// Runs headless chromium on `page` with `args`; returns (stdout, console lines).
fn browse(chromium: &Path, page: &str, args: &[&str]) -> (String, Vec<String>) {
    let profile = tempdir();
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(page)
        .output()
        .expect("chromium runs");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let console = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        console,
    )
}

#[test]
fn html_report_renders_in_a_browser_with_the_right_numbers() {
    let Some(chromium) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium (.ci/run does)"
        );
        eprintln!("skipping: no chromium here (apt-get install chromium, or set VERDICT_CHROMIUM)");
        return;
    };
    let out = tempdir();
    verdict(&[
        "score",
        "datasets/basketball",
        "--quiet",
        "--gate",
        "event_f1>=0.9",
        "--out",
        out.path().to_str().unwrap(),
    ])
    .assert_code(1);
    let page = format!("file://{}", out.path().join("report.html").display());

    let (dom, console) = browse(&chromium, &page, &["--dump-dom"]);
    assert!(
        console.is_empty(),
        "the page wrote to the console: {console:#?}"
    );
    // Numbers from report.json, as the page shows them.
    assert!(dom.contains(r#"<span class="badge fail" id="verdict-badge">FAIL</span>"#));
    assert!(
        dom.contains(r#"<div class="v" data-metric="event_f1">0.873</div>"#),
        "event_f1 card"
    );
    assert!(
        dom.contains("<tr><td>FG_MAKE</td><td>166</td><td>151</td><td>139</td>"),
        "FG_MAKE row"
    );
    // The script painted the heatmap: the FG_MAKE/FG_MAKE cell (139 pairs) has a colour.
    let cell = dom
        .find(r#"data-count="139" data-diagonal="true""#)
        .expect("diagonal cell");
    assert!(
        dom[cell..cell + 200].contains("background: rgba(26, 127, 55"),
        "heatmap not painted: {}",
        &dom[cell..cell + 200]
    );
    assert!(dom.contains(r#"<svg id="histogram""#));
    assert!(dom.contains(r#"<section id="worst">"#));
    // The row-normalised view: 139 of FG_MAKE's 166 expected events is 83.7%.
    let (normalised, console) = browse(&chromium, &format!("{page}#normalised"), &["--dump-dom"]);
    assert!(console.is_empty(), "{console:#?}");
    let cell = normalised
        .find(r#"data-count="139" data-diagonal="true""#)
        .unwrap();
    assert!(
        normalised[cell..cell + 250].contains(">83.7%<"),
        "{}",
        &normalised[cell..cell + 250]
    );

    let artifacts = root().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    for (name, size) in [
        ("report-desktop.png", "1280,3000"),
        ("report-narrow.png", "420,3000"),
    ] {
        let shot = artifacts.join(name);
        let _ = std::fs::remove_file(&shot);
        let (_, console) = browse(
            &chromium,
            &page,
            &[
                &format!("--screenshot={}", shot.display()),
                &format!("--window-size={size}"),
                "--hide-scrollbars",
            ],
        );
        assert!(console.is_empty(), "{console:#?}");
        assert!(
            std::fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000),
            "{name} was not written"
        );
    }
}

#[test]
fn curves_page_of_a_trainer_run_renders_in_a_browser() {
    let Some(chromium) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium (.ci/run does)"
        );
        eprintln!("skipping: no chromium here (apt-get install chromium, or set VERDICT_CHROMIUM)");
        return;
    };
    let out = tempdir();
    verdict(&[
        "curves",
        "tests/fixtures/curves/trainer/trainer_state.json",
        "--quiet",
        "--out",
        out.path().to_str().unwrap(),
    ])
    .assert_code(0);
    let page = format!("file://{}", out.path().join("curves.html").display());
    let (dom, console) = browse(&chromium, &page, &["--dump-dom"]);
    assert!(
        console.is_empty(),
        "the page wrote to the console: {console:#?}"
    );
    // Training loss (smoothed, with the raw values behind it) and validation loss are drawn.
    assert!(
        dom.contains(r#"<polyline class="raw""#),
        "raw training loss"
    );
    assert!(dom.contains(r#"<polyline class="train""#), "training loss");
    assert!(
        dom.contains(r#"<polyline class="valid""#),
        "validation loss"
    );
    // Step 120 is both the best and the recommended checkpoint: one ring that says so.
    let ring = dom
        .find(r#"<circle class="best""#)
        .expect("best checkpoint ringed");
    let title = &dom[ring..ring + 300];
    assert!(
        title.contains("step 120 · valid 0.0494 · train 0.0515 · best, recommended"),
        "{title}"
    );
    assert!(
        dom.contains("the Trainer recorded step 120 as its best checkpoint (best_metric 0.0494)"),
        "the Trainer's own choice is on the page"
    );
    assert!(
        dom.contains("Hugging Face trainer_state.json"),
        "format named"
    );

    let artifacts = root().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("curves-trainer-desktop.png");
    let _ = std::fs::remove_file(&shot);
    let (_, console) = browse(
        &chromium,
        &page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400",
            "--hide-scrollbars",
        ],
    );
    assert!(console.is_empty(), "{console:#?}");
    assert!(
        std::fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000),
        "the screenshot was not written"
    );
}
