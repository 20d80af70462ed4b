#!/usr/bin/env bash
# Whole-run benchmark: generates a large sample with verdict-synth, then times the parse-only
# baseline and `verdict score` (intervals off, then on) at 1 and 2 threads on the same files,
# with peak memory. Figures go into docs/performance.md by hand, with the date and machine.
#     scripts/bench.sh [CLIPS]        (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
clips=${1:-200000}
dir=${BENCH_DIR:-/tmp/verdict-bench-$clips}
cargo build --release --quiet
bin=target/release
if [ ! -f "$dir/predictions.jsonl" ]; then
  "$bin/verdict-synth" --clips "$clips" --seed 1 --out "$dir" >/dev/null
  sed "s#../../schemas/#$PWD/schemas/#" datasets/basketball/eval.toml > "$dir/eval.toml"
fi
measure() { /usr/bin/time -f "%e s  %M KB" "$@" 2>&1 >/dev/null | tail -1; }
echo "clips: $clips ($(du -sh "$dir" | cut -f1) of input)"
for threads in 1 2; do
  echo "threads=$threads parse-only baseline: $(RAYON_NUM_THREADS=$threads measure "$bin/verdict-parse-baseline" "$dir/expected.jsonl" "$dir/predictions.jsonl")"
  echo "threads=$threads verdict score --bootstrap 0: $(measure "$bin/verdict" score "$dir" --quiet --bootstrap 0 --threads "$threads" --out "$dir/out")"
done
echo "threads=2 verdict score (intervals on): $(measure "$bin/verdict" score "$dir" --quiet --bootstrap 1000 --threads 2 --out "$dir/out")"
