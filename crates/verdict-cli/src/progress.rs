//! The terminal's view of a long run: one bar per phase of the engine's [`Progress`] reports
//! (reading predictions, scoring, intervals) and one for writing the reports, each with its
//! total, percent, rate and time left, and the line printed when Ctrl-C ends a run.
//!
//! Drawn only on a terminal and without `--quiet`: otherwise every bar is hidden, so that
//! logs and pipes see exactly what they saw before.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use verdict_engine::{Phase, Progress};

/// Set while a bar may be on the terminal: the Ctrl-C handler then says what happened,
/// where it would otherwise stay silent as before.
static DRAWING: AtomicBool = AtomicBool::new(false);

/// What the Ctrl-C handler prints, on a line of its own, when bars are drawn.
pub const INTERRUPTED: &str = "verdict: interrupted: previous reports kept";

/// The text printed on Ctrl-C, if any: nothing unless a bar was drawn (a terminal, no
/// `--quiet`). It starts by clearing the bar's line.
pub fn interrupted_line() -> Option<String> {
    DRAWING
        .load(Ordering::Relaxed)
        .then(|| format!("\r\x1b[2K{INTERRUPTED}\n"))
}

/// Prints [`interrupted_line`], if any, to stderr.
pub fn announce_interrupt() {
    if let Some(line) = interrupted_line() {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(line.as_bytes());
        let _ = stderr.flush();
    }
}

/// A rate per second, rounded to whole units with thousands separators below a million
/// (`25,513/s`), to three figures above (`1.25M/s`), and to two decimals under ten.
pub fn rate_text(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        return "–/s".into();
    }
    if per_sec < 10.0 {
        return format!("{per_sec:.2}/s");
    }
    if per_sec >= 1e6 {
        return format!("{:.2}M/s", per_sec / 1e6);
    }
    format!("{}/s", thousands(per_sec.round() as u64))
}

/// The time left as `45s`, `3m 05s` or `1h 02m`; `–` while it is unknown.
pub fn eta_text(left: Option<Duration>) -> String {
    let Some(left) = left else {
        return "–".into();
    };
    let s = left.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s / 60 % 60),
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The time left of a bar, once it has measured a rate.
fn eta_of(state: &ProgressState) -> Option<Duration> {
    let len = state.len()?;
    let rate = state.per_sec();
    (rate.is_finite() && rate > 0.0 && state.pos() > 0)
        .then(|| Duration::from_secs_f64(len.saturating_sub(state.pos()) as f64 / rate))
}

fn style(measure: &str) -> ProgressStyle {
    let template = format!("{{msg:<20}} [{{bar:24}}] {{percent:>3}}% {measure}, ETA {{left}}");
    ProgressStyle::with_template(&template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
        .with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&rate_text(state.per_sec()));
            },
        )
        .with_key(
            "left",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&eta_text(eta_of(state)));
            },
        )
}

/// How far a phase got and how fast: bytes as `12.3 MiB/120 MiB, 40 MiB/s`, examples and
/// replicates as `1,200/200,000 examples, 25,513/s`.
fn measure_of(phase: Option<Phase>) -> &'static str {
    match phase {
        Some(Phase::ReadingPredictions) | None => {
            "{binary_bytes}/{binary_total_bytes}, {binary_bytes_per_sec}"
        }
        Some(Phase::Scoring | Phase::ReadingRecords) => "{human_pos}/{human_len} examples, {rate}",
        Some(Phase::Intervals) => "{human_pos}/{human_len} replicates, {rate}",
    }
}

fn label_of(phase: Option<Phase>) -> &'static str {
    match phase {
        Some(Phase::ReadingPredictions) => "reading predictions",
        Some(Phase::Scoring) => "scoring",
        Some(Phase::ReadingRecords) => "reading records",
        Some(Phase::Intervals) => "intervals",
        None => "writing reports",
    }
}

/// The terminal's progress bar for the engine's progress reports.
pub struct Bar {
    /// Whether bars are drawn at all.
    shown: bool,
    /// The current phase's bar: a new one per phase, so that no phase is ever drawn with
    /// another's label, total or rate.
    bar: Mutex<ProgressBar>,
    /// Whether the engine reports in examples now, whose total may grow (see [`Phase::Scoring`]).
    growing: AtomicBool,
}

impl Bar {
    /// A bar drawn on stderr when `shown`, hidden otherwise.
    pub fn new(shown: bool) -> Bar {
        if shown {
            DRAWING.store(true, Ordering::Relaxed);
        }
        Bar {
            shown,
            bar: Mutex::new(ProgressBar::hidden()),
            growing: AtomicBool::new(false),
        }
    }

    /// The bar of a run that draws on stderr unless `quiet` or stderr is not a terminal.
    pub fn for_run(quiet: bool) -> Bar {
        Bar::new(!quiet && std::io::stderr().is_terminal())
    }

    /// The current phase's bar (a cheap handle on the shared one).
    fn current(&self) -> ProgressBar {
        self.bar.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn start(&self, phase: Option<Phase>, total: u64) {
        self.growing
            .store(phase == Some(Phase::Scoring), Ordering::Relaxed);
        // Styled while hidden, then shown: its first frame is already this phase's.
        let next = ProgressBar::hidden()
            .with_style(style(measure_of(phase)))
            .with_message(label_of(phase));
        next.set_length(total);
        let mut bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        bar.finish_and_clear();
        if self.shown {
            next.set_draw_target(ProgressDrawTarget::stderr());
            // Time left and rate stay current while a batch or a replicate takes long.
            next.enable_steady_tick(Duration::from_millis(250));
        }
        *bar = next;
    }

    /// Starts the writing phase: `total` bytes of `examples.jsonl`, the largest file by far.
    pub fn writing(&self, total: u64) {
        self.start(None, total);
    }

    /// A writer that moves the bar by the bytes written through it.
    pub fn counting<'a>(&'a self, inner: &'a mut dyn Write) -> Counting<'a> {
        Counting {
            inner,
            bar: self.current(),
        }
    }

    /// Clears the bar from the terminal.
    pub fn clear(&self) {
        self.current().finish_and_clear();
    }
}

impl Progress for Bar {
    fn phase(&self, phase: Phase, total: u64) {
        self.start(Some(phase), total);
    }

    fn advance(&self, done: u64) {
        // Called once a batch or a replicate, not once an example: the lock costs nothing
        // that matters.
        let bar = self.current();
        bar.inc(done);
        if self.growing.load(Ordering::Relaxed)
            && let Some(len) = bar.length()
            && bar.position() > len
        {
            bar.set_length(bar.position());
        }
    }

    fn finish(&self) {
        self.clear();
    }
}

/// A writer counting its bytes on a [`Bar`].
pub struct Counting<'a> {
    inner: &'a mut dyn Write,
    bar: ProgressBar,
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.inner.write_all(buf)?;
        self.bar.inc(buf.len() as u64);
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_rounded_for_reading() {
        assert_eq!(rate_text(25_512.941_4), "25,513/s");
        assert_eq!(rate_text(999.6), "1,000/s");
        assert_eq!(rate_text(12.4), "12/s");
        assert_eq!(rate_text(4.567), "4.57/s");
        assert_eq!(rate_text(1_254_000.0), "1.25M/s");
        assert_eq!(rate_text(0.0), "–/s");
        assert_eq!(rate_text(f64::NAN), "–/s");
    }

    #[test]
    fn times_left_read_as_a_person_says_them() {
        assert_eq!(eta_text(None), "–");
        assert_eq!(eta_text(Some(Duration::from_millis(400))), "0s");
        assert_eq!(eta_text(Some(Duration::from_secs(45))), "45s");
        assert_eq!(eta_text(Some(Duration::from_secs(185))), "3m 05s");
        assert_eq!(eta_text(Some(Duration::from_secs(3720))), "1h 02m");
    }

    #[test]
    fn every_phase_has_a_label_and_a_template_indicatif_accepts() {
        for phase in [
            Some(Phase::ReadingPredictions),
            Some(Phase::Scoring),
            Some(Phase::ReadingRecords),
            Some(Phase::Intervals),
            None,
        ] {
            let template = format!("{{msg}} {}", measure_of(phase));
            assert!(ProgressStyle::with_template(&template).is_ok(), "{phase:?}");
            // An unknown key would draw as nothing: the rate keys are indicatif's or ours.
            assert!(measure_of(phase).contains("per_sec}") || measure_of(phase).contains("{rate}"));
            assert!(!label_of(phase).is_empty());
        }
    }

    #[test]
    fn a_hidden_bar_announces_no_interrupt() {
        // Only this test touches DRAWING in this crate's unit tests: a hidden bar never sets it.
        let bar = Bar::new(false);
        bar.phase(Phase::Scoring, 10);
        bar.advance(12);
        assert_eq!(bar.current().length(), Some(12), "the scoring total grows");
        assert_eq!(interrupted_line(), None);
        DRAWING.store(true, Ordering::Relaxed);
        assert_eq!(
            interrupted_line().as_deref(),
            Some("\r\x1b[2Kverdict: interrupted: previous reports kept\n")
        );
        DRAWING.store(false, Ordering::Relaxed);
    }
}
