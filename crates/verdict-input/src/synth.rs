//! Synthetic evaluation data: this module owns the deterministic generator of a realistic
//! sample eval set for a Gemini model tuned on Vertex AI to list the play events of
//! basketball clips. It produces the ground truth (`expected.jsonl`, supervised-tuning
//! format) and a batch-prediction output (`predictions.jsonl`) seeded with the faults a real
//! tuned model shows, so every scoring path of verdict has something to chew on.
//!
//! Output is a pure function of `(clips, seed)`. Envelope JSON is built with `json!` whose
//! literal keys are written in sorted order, so the bytes are the same whether or not
//! serde_json's `preserve_order` feature is switched on by some other crate in the build.

use serde_json::{Value, json};

/// What to generate: the number of clips (expected lines) and the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthConfig {
    /// Number of clips, i.e. lines of `expected.jsonl`.
    pub clips: usize,
    /// Seed of every random choice; the same `(clips, seed)` gives byte-identical output.
    pub seed: u64,
}

/// A generated data set; each `String` is one JSONL line without its newline.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SynthDataset {
    /// Ground truth in Vertex AI Gemini supervised-tuning format, one line per clip.
    pub expected: Vec<String>,
    /// Vertex AI batch-prediction output lines, shuffled, with faults, gaps and orphans.
    pub predictions: Vec<String>,
}

const TEAMS: [&str; 10] = [
    "Gray", "White", "Blue", "Red", "Green", "Black", "Gold", "Navy", "Orange", "Maroon",
];
const JERSEYS: [u8; 30] = [
    0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 20, 21, 22, 23, 24, 25, 30, 31, 32, 33, 34,
    35, 41, 44, 55,
];
const ROSTER: usize = 8;
const CLIPS_PER_GAME: usize = 10;
/// Times are kept in integer tenths of a second, so rounding to one decimal is exact.
const GAME_TENTHS: i64 = 28_800;
const CLOCK_BIAS_TENTHS: i64 = 12;
/// Weights (percent) of a clip's target of 0..=8 events; 8% of clips are empty.
const EVENTS_PER_CLIP: [u32; 9] = [8, 13, 20, 18, 15, 10, 7, 5, 4];
/// Labels a vision model confuses a class with: (truth, usual mistake, rarer mistake).
const CONFUSIONS: [(&str, &str, &str); 10] = [
    ("FG_MAKE", "FG_MISS", "THREE_PT_MAKE"),
    ("FG_MISS", "FG_MAKE", "THREE_PT_MISS"),
    ("THREE_PT_MAKE", "FG_MAKE", "THREE_PT_MISS"),
    ("THREE_PT_MISS", "FG_MISS", "THREE_PT_MAKE"),
    ("FT_MAKE", "FT_MISS", "FT_MISS"),
    ("FT_MISS", "FT_MAKE", "FT_MAKE"),
    ("STEAL", "TURNOVER", "TURNOVER"),
    ("BLOCK", "FG_MISS", "FOUL"),
    ("TURNOVER", "FOUL", "STEAL"),
    ("FOUL", "TURNOVER", "BLOCK"),
];
const SYSTEM_PROMPT: &str = "You are a basketball play-by-play annotator for game video clips.";
const USER_PROMPT: &str = "List every play event in this clip as a JSON array of objects with \
timestamp_seconds (seconds into the full game video), classification, player_a and player_b \
(\"Player #N (Team)\" or null). Return [] if there are none.";
const MODEL_VERSION: &str = "gemini-2.5-flash-001";
const MAX_OUTPUT_TOKENS: i64 = 2048;
const GARBAGE: [&str; 3] = [
    "I could not identify any plays in this clip.",
    "Sorry, I can't determine the play events from this video.",
    "The clip shows a basketball game, but the jersey numbers are too small to read.",
];
const PREFIXES: [&str; 3] = [
    "Here are the events:\n",
    "Sure! Here is the list of play events in this clip:\n\n",
    "Events detected:\n",
];
const SUFFIXES: [&str; 2] = [
    "\n\nLet me know if you need anything else.",
    "\nNote: timestamps are approximate.",
];

// Separate random streams, so that e.g. a new fault never perturbs the ground truth.
const STREAM_MASTER: u64 = 0x4D41_5354;
const STREAM_GAME: u64 = 0x4741_4D45;
const STREAM_CLIP: u64 = 0x434C_4950;
const STREAM_FAULT: u64 = 0x4641_554C;
const STREAM_SHUFFLE: u64 = 0x5348_5546;

/// SplitMix64, hand-written rather than taken from the `rand` crate because the generated
/// files are fixtures: their bytes must never change with a dependency upgrade or platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        verdict_core::rng::splitmix64(&mut self.0)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in `0..n` (multiply-high; its bias is far below anything observable).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
    fn idx(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    fn sign(&mut self) -> i64 {
        if self.chance(0.5) { -1 } else { 1 }
    }
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let mut x = self.below(u64::from(weights.iter().sum::<u32>())) as u32;
        for (k, &w) in weights.iter().enumerate() {
            if x < w {
                return k;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

/// Hashes (seed, stream, index) into a seed: every game and clip gets its own stream, so work
/// stays linear in the number of clips and a clip never depends on its neighbours' draws.
fn mix(seed: u64, stream: u64, index: u64) -> u64 {
    let a = Rng(seed).next();
    let b = Rng(a ^ stream).next();
    Rng(b ^ index).next()
}

/// What can be wrong with a prediction line (plus `Exact` and `Orphan`, for the tallies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Exact,
    Jitter,
    LargeShift,
    ClockBias,
    Relabel,
    Dropped,
    Invented,
    WrongPlayer,
    PlayerVariant,
    PlayerObject,
    BadLabel,
    StringTimestamp,
    MissingPlayerA,
    ObjectRoot,
    TrailingComma,
    SingleQuotes,
    BareKeys,
    Truncated,
    Fenced,
    Prose,
    FencedProse,
    Garbage,
    Failed,
    Safety,
    Missing,
    Orphan,
}

const FAULT_KINDS: usize = 26;

// Fault rates per clip. Each fault is drawn independently of the others (its own hash
// stream), so faults stack on one clip the way they do in real outputs; these values leave
// about 35% of clips an exact copy of the truth. Rate 0 means not drawn per clip: `Exact` is
// the absence of faults, `ClockBias` hits every clip of one or two whole games, `Orphan` is
// 1-2 extra lines. Rare faults (rate < 5%) are stratified: exactly one hit per block of
// 1/rate consecutive clips, at a random place in the block. The per-clip rate is the same,
// but a small sample (320 clips) then holds every kind instead of missing a 1% kind by bad
// luck about one time in 25.
#[rustfmt::skip]
const FAULT_TABLE: [(Fault, &str, f64); FAULT_KINDS] = [
    (Fault::Exact,           "exact copy",                   0.0),
    (Fault::Jitter,          "timestamp jitter 0.1-0.6 s",   0.25),
    (Fault::LargeShift,      "timestamp shift 2-6 s",        0.05),
    (Fault::ClockBias,       "game clock bias +1.2 s",       0.0),
    (Fault::Relabel,         "confused label",               0.12),
    (Fault::Dropped,         "missed event",                 0.10),
    (Fault::Invented,        "invented event",               0.08),
    (Fault::WrongPlayer,     "wrong jersey or team",         0.04),
    (Fault::PlayerVariant,   "player spelled differently",   0.12),
    (Fault::PlayerObject,    "player as object (schema)",    0.01),
    (Fault::BadLabel,        "label not in enum (schema)",   0.01),
    (Fault::StringTimestamp, "timestamp string (schema)",    0.01),
    (Fault::MissingPlayerA,  "no player_a (schema)",         0.01),
    (Fault::ObjectRoot,      "object root (schema)",         0.01),
    (Fault::TrailingComma,   "trailing comma",               0.02),
    (Fault::SingleQuotes,    "single-quoted strings",        0.005),
    (Fault::BareKeys,        "unquoted keys",                0.005),
    (Fault::Truncated,       "truncated, MAX_TOKENS",        0.02),
    (Fault::Fenced,          "```json fence",                0.06),
    (Fault::Prose,           "prose around JSON",            0.03),
    (Fault::FencedProse,     "fence and prose",              0.01),
    (Fault::Garbage,         "unparseable text",             0.01),
    (Fault::Failed,          "failed request",               0.01),
    (Fault::Safety,          "safety block",                 0.006),
    (Fault::Missing,         "no prediction line",           0.01),
    (Fault::Orphan,          "orphan line",                  0.0),
];

/// Clips per stratification block of a rare `fault`.
fn period(fault: Fault) -> u64 {
    (1.0 / FAULT_TABLE[fault as usize].2).round() as u64
}

fn hit(seed: u64, fault: Fault, clip: u64) -> bool {
    let (rate, stream) = (FAULT_TABLE[fault as usize].2, 0x1000 + fault as u64);
    debug_assert!(rate > 0.0, "{fault:?} is not drawn per clip");
    match period(fault) {
        p if p <= 20 => Rng(mix(seed, stream, clip)).unit() < rate,
        p => mix(seed, stream, clip / p) % p == clip % p,
    }
}

/// The fault draws of one clip, and which of them fired.
struct Draws {
    seed: u64,
    clip: u64,
    fired: Vec<Fault>,
}

impl Draws {
    /// Draws `fault` when it `applies` to the clip at all, recording it if it fires.
    fn on(&mut self, fault: Fault, applies: bool) -> bool {
        let fired = applies && hit(self.seed, fault, self.clip);
        if fired {
            self.fired.push(fault);
        }
        fired
    }
}

/// Jersey number and index into `TEAMS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Player(u8, usize);

#[derive(Debug, Clone, Copy)]
struct Event {
    t: i64,
    class: &'static str,
    a: Player,
    b: Option<Player>,
}

struct Game {
    id: usize,
    teams: [usize; 2],
    rosters: [[u8; ROSTER]; 2],
    biased: bool,
}

impl Game {
    fn new(seed: u64, index: usize, biased: bool) -> Game {
        let mut r = Rng(mix(seed, STREAM_GAME, index as u64));
        let home = r.idx(TEAMS.len());
        let away = (home + 1 + r.idx(TEAMS.len() - 1)) % TEAMS.len();
        let mut pool = JERSEYS;
        for k in 0..2 * ROSTER {
            pool.swap(k, k + r.idx(JERSEYS.len() - k));
        }
        let mut rosters = [[0; ROSTER]; 2];
        rosters[0].copy_from_slice(&pool[..ROSTER]);
        rosters[1].copy_from_slice(&pool[ROSTER..2 * ROSTER]);
        let teams = [home, away];
        Game {
            id: index + 1,
            teams,
            rosters,
            biased,
        }
    }
    fn player(&self, r: &mut Rng, side: usize) -> Player {
        Player(self.rosters[side][r.idx(ROSTER)], self.teams[side])
    }
    fn teammate(&self, r: &mut Rng, side: usize, of: Player) -> Player {
        let at = self.rosters[side].iter().position(|&n| n == of.0);
        let k = (at.unwrap_or(0) + 1 + r.idx(ROSTER - 1)) % ROSTER;
        Player(self.rosters[side][k], of.1)
    }
}

struct Clip<'g> {
    index: u64,
    game: &'g Game,
    uri: String,
    start: i64,
    window: i64,
    events: Vec<Event>,
}

/// Clip `nth` of the `per_game` clips of `game`, spread over the game so windows rarely overlap.
fn clip<'g>(seed: u64, game: &'g Game, index: u64, nth: usize, per_game: usize) -> Clip<'g> {
    let mut r = Rng(mix(seed, STREAM_CLIP, index));
    let window = r.range(300, 600);
    let slot = GAME_TENTHS / per_game.max(1) as i64;
    let start = nth as i64 * slot + r.range(0, (slot - window).max(0));
    let start = start.min(GAME_TENTHS - window - 10);
    let events = play_by_play(&mut r, game, start, window);
    let (id, number) = (game.id, nth + 1);
    let uri = format!("gs://hoops-eval/clips/game-{id:04}/clip-{number:04}.mp4");
    Clip {
        index,
        game,
        uri,
        start,
        window,
        events,
    }
}

/// Builds events from whole possessions (shot then rebound, foul then two free throws, ...)
/// so the class mix and the use of player_b look like real play-by-play.
fn play_by_play(r: &mut Rng, g: &Game, start: i64, window: i64) -> Vec<Event> {
    let n = r.weighted(&EVENTS_PER_CLIP);
    let mut ev: Vec<Event> = Vec::with_capacity(n + 3);
    let mut t = start + r.range(5, 40);
    let ft = |r: &mut Rng| if r.chance(0.75) { "FT_MAKE" } else { "FT_MISS" };
    while ev.len() < n {
        let before = ev.len();
        let off = r.idx(2);
        let (shooter, defender) = (g.player(r, off), g.player(r, 1 - off));
        let mate = g.teammate(r, off, shooter);
        let board_side = if r.chance(0.3) { off } else { 1 - off };
        let boards = g.player(r, board_side);
        let mut at = |dt: i64, class: &'static str, a: Player, b: Option<Player>| {
            t += dt;
            ev.push(Event { t, class, a, b });
        };
        match r.weighted(&[10, 12, 3, 6, 20, 3, 11, 2, 8, 6, 4, 5]) {
            0 => at(0, "FG_MAKE", shooter, None),
            1 => {
                at(0, "FG_MAKE", shooter, None);
                at(2, "ASSIST", mate, Some(shooter));
            }
            2 => at(0, "THREE_PT_MAKE", shooter, None),
            3 => {
                at(0, "THREE_PT_MAKE", shooter, None);
                at(2, "ASSIST", mate, Some(shooter));
            }
            4 => {
                at(0, "FG_MISS", shooter, None);
                at(r.range(8, 25), "REBOUND", boards, None);
            }
            5 => {
                at(0, "BLOCK", defender, Some(shooter));
                at(3, "FG_MISS", shooter, None);
                at(r.range(8, 25), "REBOUND", boards, None);
            }
            6 => {
                at(0, "THREE_PT_MISS", shooter, None);
                at(r.range(8, 25), "REBOUND", boards, None);
            }
            7 => at(0, "FG_MISS", shooter, None),
            8 => {
                at(0, "FOUL", defender, Some(shooter));
                at(r.range(60, 150), ft(r), shooter, None);
                at(r.range(30, 60), ft(r), shooter, None);
            }
            9 => at(0, "TURNOVER", shooter, None),
            10 => {
                at(0, "TURNOVER", shooter, None);
                at(2, "STEAL", defender, Some(shooter));
            }
            _ => at(0, "FOUL", defender, Some(shooter)),
        }
        t += r.range(40, 120);
        // Whole plays only (free throws come in pairs), at most eight events.
        if ev.len() > 8 {
            ev.truncate(before);
            break;
        }
    }
    // Squeeze long sequences into the clip window, then keep times strictly increasing.
    let limit = start + window - 5;
    if let Some(last) = ev.last().map(|e| e.t).filter(|&last| last > limit) {
        for e in &mut ev {
            e.t = start + (e.t - start) * (limit - start) / (last - start);
        }
    }
    for k in 1..ev.len() {
        ev[k].t = ev[k].t.max(ev[k - 1].t + 1);
    }
    ev
}

fn seconds(tenths: i64) -> Value {
    Value::from(tenths as f64 / 10.0)
}

fn player_name(Player(n, team): Player, variant: Option<u64>) -> String {
    let team = TEAMS[team];
    match variant {
        None => format!("Player #{n} ({team})"),
        Some(0) => format!("#{n} {team}"),
        Some(1) => format!("{team} #{n}"),
        Some(2) => format!("{} {n}", team.to_lowercase()),
        Some(3) => format!("No. {n}, {team}"),
        Some(4) => format!("Player {n} ({})", team.to_uppercase()),
        Some(_) if team == "Gray" => format!("Player #{n} (Grey)"),
        Some(_) => format!("Player #{n} ({})", team.to_lowercase()),
    }
}

fn event_value(e: &Event, variant: Option<u64>) -> Value {
    json!({
        "classification": e.class,
        "player_a": player_name(e.a, variant),
        "player_b": e.b.map(|p| player_name(p, variant)),
        "timestamp_seconds": seconds(e.t),
    })
}

/// How model text is laid out; the flags produce the repairable-syntax faults.
#[derive(Clone, Copy, Default)]
struct Style {
    /// 0: `json.dumps` separators, 1: no spaces, 2: indented by two.
    layout: usize,
    single_quotes: bool,
    bare_keys: bool,
    trailing_comma: bool,
}

/// Models emit keys in schema order, not sorted; ranking them also frees the text from
/// whatever order serde_json's map keeps.
fn key_rank(key: &str) -> usize {
    let order = [
        "timestamp_seconds",
        "classification",
        "player_a",
        "player_b",
    ];
    order.iter().position(|&k| k == key).unwrap_or(order.len())
}

fn render(v: &Value, st: &Style) -> String {
    let mut out = String::with_capacity(256);
    write_json(v, st, 0, &mut out);
    out
}

fn write_json(v: &Value, st: &Style, depth: usize, out: &mut String) {
    let (open, close, mut items): (char, char, Vec<(Option<&str>, &Value)>) = match v {
        Value::Array(items) => ('[', ']', items.iter().map(|x| (None, x)).collect()),
        Value::Object(map) => ('{', '}', map.iter().map(|(k, x)| (Some(&**k), x)).collect()),
        Value::String(s) if st.single_quotes => return out.push_str(&format!("'{s}'")),
        scalar => return out.push_str(&scalar.to_string()),
    };
    items.sort_by_key(|&(k, _)| (k.map(key_rank), k));
    let pad = |out: &mut String, depth| {
        if st.layout == 2 {
            out.push('\n');
            (0..depth).for_each(|_| out.push_str("  "));
        }
    };
    let (item_sep, key_sep) = [(", ", ": "), (",", ":"), (",", ": ")][st.layout];
    out.push(open);
    for (n, &(key, x)) in items.iter().enumerate() {
        if n > 0 {
            out.push_str(item_sep);
        }
        pad(out, depth + 1);
        match (key, st.bare_keys, st.single_quotes) {
            (None, _, _) => {}
            (Some(k), true, _) => out.push_str(k),
            (Some(k), false, true) => out.push_str(&format!("'{k}'")),
            (Some(k), false, false) => out.push_str(&Value::from(k).to_string()),
        }
        if key.is_some() {
            out.push_str(key_sep);
        }
        write_json(x, st, depth + 1, out);
    }
    if !items.is_empty() {
        if st.trailing_comma && v.is_array() {
            out.push(',');
        }
        pad(out, depth);
    }
    out.push(close);
}

fn truth_text(clip: &Clip<'_>) -> String {
    let events = clip.events.iter().map(|e| event_value(e, None)).collect();
    render(&Value::Array(events), &Style::default())
}

fn user_turn(uri: &str) -> Value {
    json!({
        "parts": [{"fileData": {"fileUri": uri, "mimeType": "video/mp4"}}, {"text": USER_PROMPT}],
        "role": "user",
    })
}

fn expected_line(clip: &Clip<'_>, system: &Value) -> String {
    let model = json!({"parts": [{"text": truth_text(clip)}], "role": "model"});
    let line = json!({"contents": [user_turn(&clip.uri), model], "systemInstruction": system});
    to_line(&line)
}

fn request(uri: &str, system: &Value) -> Value {
    json!({
        "contents": [user_turn(uri)],
        "generationConfig": {
            "maxOutputTokens": MAX_OUTPUT_TOKENS,
            "responseMimeType": "application/json",
            "temperature": 0.0,
        },
        "systemInstruction": system,
    })
}

fn processed_time(r: &mut Rng) -> String {
    let ms = r.below(6 * 3_600_000);
    let (h, m, s) = (11 + ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60);
    format!("2026-10-02T{h:02}:{m:02}:{s:02}.{:03}+00:00", ms % 1000)
}

/// A successful response. Token counts follow Gemini: ~263 prompt tokens per second of video,
/// and thinking tokens share `maxOutputTokens`, which is how short answers hit MAX_TOKENS.
fn response(clip: &Clip<'_>, r: &mut Rng, text: String, finish: &str, exact: bool) -> Value {
    let prompt = clip.window * 263 / 10 + 160;
    let out = (text.len() as i64 + 3) / 4;
    let thoughts = match finish {
        "MAX_TOKENS" => (MAX_OUTPUT_TOKENS - out).max(0),
        _ => r.range(100, 600),
    };
    // Faulty answers come with lower confidence, as they do from real models.
    let (lo, hi) = if exact { (20, 300) } else { (300, 4000) };
    let logprob = -(r.range(lo, hi) as f64) / 1e4;
    let candidate = json!({
        "avgLogprobs": logprob,
        "content": {"parts": [{"text": text}], "role": "model"},
        "finishReason": finish,
    });
    json!({
        "candidates": [candidate],
        "modelVersion": MODEL_VERSION,
        "usageMetadata": {
            "candidatesTokenCount": out,
            "promptTokenCount": prompt,
            "thoughtsTokenCount": thoughts,
            "totalTokenCount": prompt + out + thoughts,
        },
    })
}

/// Serializes into a buffer sized for a whole line: `Value`'s `Display` goes through `fmt`,
/// and growing from a small buffer reallocates, both costly at a million clips.
fn to_line(v: &Value) -> String {
    let mut buf = Vec::with_capacity(4096);
    serde_json::to_writer(&mut buf, v).expect("a Value always serializes");
    let mut line = String::from_utf8(buf).expect("serde_json writes UTF-8");
    line.shrink_to_fit();
    line
}

fn envelope(time: String, request: Value, response: Value) -> Value {
    json!({"processed_time": time, "request": request, "response": response, "status": ""})
}

/// The two forms a blocked request takes; they alternate between stratification blocks so a
/// small sample shows both.
fn safety_block(clip: &Clip<'_>) -> Value {
    let prompt = clip.window * 263 / 10 + 160;
    let usage = json!({"promptTokenCount": prompt, "totalTokenCount": prompt});
    if (clip.index / period(Fault::Safety)).is_multiple_of(2) {
        let rating = json!({"blocked": true, "category": "HARM_CATEGORY_DANGEROUS_CONTENT"});
        let candidate = json!({"finishReason": "SAFETY", "safetyRatings": [rating]});
        json!({"candidates": [candidate], "modelVersion": MODEL_VERSION, "usageMetadata": usage})
    } else {
        let feedback = json!({"blockReason": "OTHER"});
        json!({"modelVersion": MODEL_VERSION, "promptFeedback": feedback, "usageMetadata": usage})
    }
}

/// The prediction line of `clip` (`None` when the batch job lost it), counting its faults.
fn prediction_line(
    seed: u64,
    clip: &Clip<'_>,
    system: &Value,
    tally: &mut Tally,
) -> Option<String> {
    let mut d = Draws {
        seed,
        clip: clip.index,
        fired: Vec::new(),
    };
    let mut r = Rng(mix(seed, STREAM_FAULT, clip.index));
    let (time, request) = (processed_time(&mut r), request(&clip.uri, system));
    let line = if d.on(Fault::Missing, true) {
        None
    } else if d.on(Fault::Failed, true) {
        let status = "Internal error occurred. Please retry.";
        Some(json!({"processed_time": time, "request": request, "status": status}))
    } else {
        let response = if d.on(Fault::Safety, true) {
            safety_block(clip)
        } else {
            let (text, finish) = model_text(clip, &mut d, &mut r);
            response(clip, &mut r, text, finish, d.fired.is_empty())
        };
        Some(envelope(time, request, response))
    };
    if d.fired.is_empty() {
        d.fired.push(Fault::Exact);
    }
    for f in d.fired {
        tally[f as usize] += 1;
    }
    line.as_ref().map(to_line)
}

/// The model's answer and finish reason, with whatever faults this clip draws.
fn model_text(clip: &Clip<'_>, d: &mut Draws, r: &mut Rng) -> (String, &'static str) {
    let g = clip.game;
    if d.on(Fault::Garbage, true) {
        return (garbage(clip, r), "STOP");
    }
    let mut ev = clip.events.clone();
    if g.biased && !ev.is_empty() {
        ev.iter_mut()
            .for_each(|e| e.t += CLOCK_BIAS_TENTHS + r.range(-1, 1));
        d.fired.push(Fault::ClockBias);
    }
    if d.on(Fault::Jitter, !ev.is_empty()) {
        for _ in 0..=r.idx(ev.len().min(3)) {
            let k = r.idx(ev.len());
            ev[k].t += r.sign() * r.range(1, 6);
        }
    }
    if d.on(Fault::LargeShift, !ev.is_empty()) {
        let k = r.idx(ev.len());
        ev[k].t += r.sign() * r.range(20, 60);
    }
    let confusion = |class: &str| CONFUSIONS.iter().find(|c| c.0 == class);
    let confusable: Vec<usize> = (0..ev.len())
        .filter(|&k| confusion(ev[k].class).is_some())
        .collect();
    if d.on(Fault::Relabel, !confusable.is_empty()) {
        let k = confusable[r.idx(confusable.len())];
        let (_, usual, rare) = confusion(ev[k].class).copied().unwrap_or_default();
        ev[k].class = if r.chance(0.25) { rare } else { usual };
    }
    if d.on(Fault::Dropped, !ev.is_empty()) {
        ev.remove(r.idx(ev.len()));
        if ev.len() >= 4 && r.chance(0.3) {
            ev.remove(r.idx(ev.len()));
        }
    }
    if d.on(Fault::Invented, true) {
        let e = invented(clip, &ev, r);
        ev.insert(ev.partition_point(|x| x.t <= e.t), e);
    }
    if d.on(Fault::WrongPlayer, !ev.is_empty()) {
        let k = r.idx(ev.len());
        let Player(num, team) = &mut ev[k].a;
        if r.chance(0.6) {
            *num = JERSEYS.iter().copied().find(|&n| n > *num).unwrap_or(0);
        } else {
            *team = g.teams[usize::from(*team == g.teams[0])];
        }
    }
    ev.iter_mut().for_each(|e| e.t = e.t.clamp(0, GAME_TENTHS));
    let n = ev.len();
    let variant = d.on(Fault::PlayerVariant, n > 0).then(|| r.below(6));
    let mut vals: Vec<Value> = ev.iter().map(|e| event_value(e, variant)).collect();
    if d.on(Fault::PlayerObject, n > 0) {
        let k = r.idx(n);
        let Player(num, team) = ev[k].a;
        vals[k]["player_a"] = json!({"number": num, "team": TEAMS[team]});
    }
    if d.on(Fault::BadLabel, n > 0) {
        let k = r.idx(n);
        let lower = ev[k].class.to_lowercase();
        vals[k]["classification"] = json!(["LAYUP", "DUNK", "JUMP_SHOT", &lower][r.idx(4)]);
    }
    if d.on(Fault::StringTimestamp, n > 0) {
        let k = r.idx(n);
        let t = ev[k].t;
        let clock = format!("{}:{:02}.{}", t / 600, t % 600 / 10, t % 10);
        let plain = seconds(t).to_string();
        vals[k]["timestamp_seconds"] = json!([clock, plain][r.idx(2)]);
    }
    if d.on(Fault::MissingPlayerA, n > 0) {
        let k = r.idx(n);
        if let Some(obj) = vals[k].as_object_mut() {
            obj.remove("player_a");
        }
    }
    let root = if d.on(Fault::ObjectRoot, true) {
        json!({"events": vals})
    } else {
        Value::Array(vals)
    };
    let st = Style {
        layout: r.weighted(&[75, 10, 15]),
        trailing_comma: d.on(Fault::TrailingComma, n > 0),
        single_quotes: d.on(Fault::SingleQuotes, n > 0),
        bare_keys: d.on(Fault::BareKeys, n > 0),
    };
    let mut text = render(&root, &st);
    if d.on(Fault::Truncated, n >= 2) {
        text.truncate(text.len() * r.range(35, 90) as usize / 100);
        return (text, "MAX_TOKENS");
    }
    let both = hit(d.seed, Fault::FencedProse, d.clip);
    let fence = both || hit(d.seed, Fault::Fenced, d.clip);
    let prose = both || hit(d.seed, Fault::Prose, d.clip);
    if fence {
        text = format!("```json\n{text}\n```");
    }
    if prose {
        let pre = PREFIXES[r.idx(PREFIXES.len())];
        let post = SUFFIXES[r.idx(SUFFIXES.len())];
        text = match r.weighted(&[60, 15, 25]) {
            0 => format!("{pre}{text}"),
            1 => format!("{text}{post}"),
            _ => format!("{pre}{text}{post}"),
        };
    }
    match (fence, prose) {
        (true, true) => d.fired.push(Fault::FencedProse),
        (true, false) => d.fired.push(Fault::Fenced),
        (false, true) => d.fired.push(Fault::Prose),
        (false, false) => {}
    }
    (text, "STOP")
}

/// A plausible extra event: a common class, a rostered player, a time near the real ones.
fn invented(clip: &Clip<'_>, ev: &[Event], r: &mut Rng) -> Event {
    let t = match ev.len() {
        0 => clip.start + r.range(20, clip.window - 20),
        len => (ev[r.idx(len)].t + r.range(5, 40)).min(GAME_TENTHS),
    };
    let side = r.idx(2);
    let (a, other) = (clip.game.player(r, side), clip.game.player(r, 1 - side));
    let (class, b) = match r.weighted(&[4, 3, 2, 1]) {
        0 => ("REBOUND", None),
        1 => ("FG_MISS", None),
        2 => ("FG_MAKE", None),
        _ => ("FOUL", Some(other)),
    };
    Event { t, class, a, b }
}

/// Text no repair can save: a refusal, or half an object with unbalanced braces.
fn garbage(clip: &Clip<'_>, r: &mut Rng) -> String {
    match clip.events.first() {
        Some(e) if r.chance(0.4) => {
            let (t, class, who) = (seconds(e.t), e.class, player_name(e.a, None));
            let head = format!("[{{\"timestamp_seconds\": {t}, \"classification\": \"{class}\", ");
            format!("{head}{{\"player_a\": \"{who}\"}}]")
        }
        _ => GARBAGE[r.idx(GARBAGE.len())].to_string(),
    }
}

/// Lines per fault kind, indexed by `Fault as usize`.
type Tally = [usize; FAULT_KINDS];

/// Generates the data set for `config`: `config.clips` expected lines and, in shuffled order,
/// one prediction line per clip (about 1% are lost) plus one or two orphans.
pub fn generate(config: &SynthConfig) -> SynthDataset {
    generate_tallied(config).0
}

fn generate_tallied(config: &SynthConfig) -> (SynthDataset, Tally) {
    let (n, seed) = (config.clips, config.seed);
    let games = n.div_ceil(CLIPS_PER_GAME).max(1);
    let mut master = Rng(mix(seed, STREAM_MASTER, 0));
    let first = master.idx(games);
    let second = (first + 1 + master.idx(games.max(2) - 1)) % games;
    let biased = match games {
        0..4 => [usize::MAX; 2],
        _ if master.chance(0.5) => [first, second],
        _ => [first, first],
    };
    let system = json!({"parts": [{"text": SYSTEM_PROMPT}]});
    let mut tally = [0; FAULT_KINDS];
    let (mut expected, mut predictions) = (Vec::with_capacity(n), Vec::with_capacity(n + 2));
    for g in 0..games {
        let (lo, hi) = (g * n / games, (g + 1) * n / games);
        let game = Game::new(seed, g, biased.contains(&g));
        for i in lo..hi {
            let clip = clip(seed, &game, i as u64, i - lo, hi - lo);
            expected.push(expected_line(&clip, &system));
            predictions.extend(prediction_line(seed, &clip, &system, &mut tally));
        }
    }
    // Orphans answer clips of games past the end of the expected set.
    for k in 0..=master.idx(2) {
        let game = Game::new(seed, games + k, false);
        let clip = clip(seed, &game, (n + k) as u64, 0, CLIPS_PER_GAME);
        let (time, request) = (processed_time(&mut master), request(&clip.uri, &system));
        let response = response(&clip, &mut master, truth_text(&clip), "STOP", true);
        predictions.push(to_line(&envelope(time, request, response)));
        tally[Fault::Orphan as usize] += 1;
    }
    let mut r = Rng(mix(seed, STREAM_SHUFFLE, 0));
    for k in (1..predictions.len()).rev() {
        predictions.swap(k, r.idx(k + 1));
    }
    let data = SynthDataset {
        expected,
        predictions,
    };
    (data, tally)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const CLASSES: &str = "FG_MAKE FG_MISS THREE_PT_MAKE THREE_PT_MISS FT_MAKE FT_MISS REBOUND \
                           ASSIST TURNOVER STEAL BLOCK FOUL";

    fn sample(clips: usize, seed: u64) -> (SynthDataset, Tally) {
        generate_tallied(&SynthConfig { clips, seed })
    }

    fn parse(line: &str) -> Value {
        serde_json::from_str(line).unwrap_or_else(|e| panic!("invalid JSON ({e}): {line}"))
    }

    fn canonical_player(v: &Value) -> bool {
        let inner = v
            .as_str()
            .and_then(|s| s.strip_prefix("Player #")?.strip_suffix(')'));
        let parts = inner.and_then(|s| s.split_once(" ("));
        parts.is_some_and(|(num, team)| num.parse::<u8>().is_ok() && TEAMS.contains(&team))
    }

    fn uri(contents: &Value) -> String {
        contents[0]["parts"][0]["fileData"]["fileUri"].to_string()
    }

    #[test]
    fn output_is_a_function_of_clips_and_seed() {
        assert_eq!(sample(200, 42).0, sample(200, 42).0);
        assert_ne!(sample(200, 42).0, sample(200, 43).0);
        for clips in [0, 1, 9, 320, 1234] {
            assert_eq!(sample(clips, 1).0.expected.len(), clips);
        }
        for (k, (fault, _, _)) in FAULT_TABLE.iter().enumerate() {
            assert_eq!(*fault as usize, k, "FAULT_TABLE out of order");
        }
    }

    #[test]
    fn ground_truth_is_strict_json_matching_the_schema() {
        let mut empty = 0;
        for line in &sample(320, 7).0.expected {
            let turns = parse(line)["contents"].clone();
            assert_eq!(turns[1]["role"], "model");
            let events = parse(turns[1]["parts"][0]["text"].as_str().expect("model text"));
            let events = events.as_array().expect("root must be an array");
            empty += usize::from(events.is_empty());
            let mut last = -1.0;
            for e in events {
                assert!(
                    e.as_object()
                        .expect("object")
                        .keys()
                        .all(|k| key_rank(k) < 4)
                );
                let t = e["timestamp_seconds"].as_f64().expect("number");
                assert!((0.0..=2880.0).contains(&t) && t > last, "{t} after {last}");
                assert!(
                    ((t * 10.0).round() - t * 10.0).abs() < 1e-6,
                    "{t}: 2 decimals"
                );
                last = t;
                let class = e["classification"].as_str().expect("string");
                assert!(CLASSES.split_whitespace().any(|c| c == class), "{class}");
                assert!(canonical_player(&e["player_a"]), "{e}");
                let b = &e["player_b"];
                match class {
                    "ASSIST" | "STEAL" | "BLOCK" | "FOUL" => assert!(canonical_player(b)),
                    _ => assert!(b.is_null(), "{e}"),
                }
            }
        }
        assert!((10..=45).contains(&empty), "{empty} empty clips");
    }

    #[test]
    fn predictions_are_json_and_join_their_expected_lines() {
        let data = sample(320, 7).0;
        let mut by_uri = HashMap::new();
        for line in &data.expected {
            let v = parse(line);
            let user = Value::Array(v["contents"].as_array().expect("contents")[..1].to_vec());
            let old = by_uri.insert(uri(&user), (user, v["systemInstruction"].clone()));
            assert!(old.is_none(), "fileUri not unique");
        }
        let (mut orphans, mut uris) = (0, Vec::new());
        for line in &data.predictions {
            let v = parse(line);
            let request = &v["request"];
            uris.push(uri(&request["contents"]));
            match by_uri.get(&uri(&request["contents"])) {
                Some((user, system)) => {
                    assert_eq!(&request["contents"], user);
                    assert_eq!(&request["systemInstruction"], system);
                }
                None => orphans += 1,
            }
            let candidate = &v["response"]["candidates"][0];
            if candidate["finishReason"] == "MAX_TOKENS" {
                let text = candidate["content"]["parts"][0]["text"].as_str();
                assert!(serde_json::from_str::<Value>(text.expect("text")).is_err());
            }
        }
        assert!((1..=2).contains(&orphans), "{orphans} orphans");
        assert!(uris.windows(2).any(|w| w[0] > w[1]), "not shuffled");
    }

    #[test]
    fn every_fault_kind_occurs_in_the_sample() {
        let (data, tally) = sample(320, 7);
        let table: Vec<String> = FAULT_TABLE
            .iter()
            .map(|f| format!("{}: {}", f.1, tally[f.0 as usize]))
            .collect();
        assert!(
            tally.iter().all(|&count| count > 0),
            "a kind never occurs: {table:#?}"
        );
        let lines = 320 - tally[Fault::Missing as usize] + tally[Fault::Orphan as usize];
        assert_eq!(data.predictions.len(), lines);
        let text = data.predictions.join("\n");
        assert!(text.contains(r#""finishReason":"SAFETY""#) && text.contains("blockReason"));
    }

    #[test]
    fn about_a_third_of_clips_are_exact() {
        let (data, tally) = sample(5000, 3);
        let exact = tally[Fault::Exact as usize] as f64 / data.expected.len() as f64;
        assert!((0.30..=0.40).contains(&exact), "exact share {exact}");
    }
}
