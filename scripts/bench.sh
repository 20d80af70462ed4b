#!/usr/bin/env bash
# Whole-run benchmark: for each size, generates a basketball sample with verdict-synth (once),
# then times the parse-only baseline and `verdict score --bootstrap 0` at 1 and 2 threads on
# the same files, with peak memory, and prints the figures issue 8 sets targets for:
# throughput against the baseline, 1 → 2 thread scaling, time per example across sizes, and
# peak memory per example. Figures go into docs/performance.md by hand, with date and machine.
#     scripts/bench.sh [CLIPS...]        (default 200000 1000000)
# BENCH_DIR (default /tmp) holds the generated data (2.4 GB for a million clips).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then sizes=("$@"); else sizes=(200000 1000000); fi
root=${BENCH_DIR:-/tmp}
cargo build --release --quiet
bin=target/release

# Prints "SECONDS KB" for one run of the command.
measure() {
  /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1
}

printf '%-9s %-34s %7s %9s %10s\n' clips run threads seconds "peak MiB"
declare -A seconds kb_at
for clips in "${sizes[@]}"; do
  dir="$root/verdict-bench-$clips"
  if [ ! -f "$dir/predictions.jsonl" ]; then
    mkdir -p "$dir"
    "$bin/verdict-synth" --clips "$clips" --seed 1 --out "$dir" >/dev/null
    sed "s#../../schemas/#$PWD/schemas/#" datasets/basketball/eval.toml >"$dir/eval.toml"
  fi
  for threads in 1 2; do
    read -r t kb < <(RAYON_NUM_THREADS=$threads measure "$bin/verdict-parse-baseline" \
      "$dir/expected.jsonl" "$dir/predictions.jsonl")
    seconds[baseline,$clips,$threads]=$t
    printf '%-9s %-34s %7s %9s %10s\n' "$clips" "parse-only baseline" "$threads" "$t" "$((kb / 1024))"
    read -r t kb < <(measure "$bin/verdict" score "$dir" --quiet --bootstrap 0 \
      --threads "$threads" --out "$dir/out")
    seconds[verdict,$clips,$threads]=$t
    kb_at[$clips]=$kb
    printf '%-9s %-34s %7s %9s %10s\n' "$clips" "verdict score --bootstrap 0" "$threads" "$t" "$((kb / 1024))"
  done
done

echo
for clips in "${sizes[@]}"; do
  awk -v c="$clips" -v b="${seconds[baseline,$clips,2]}" -v v1="${seconds[verdict,$clips,1]}" \
    -v v2="${seconds[verdict,$clips,2]}" -v kb="${kb_at[$clips]}" 'BEGIN {
      printf "%s clips: throughput %.0f%% of the baseline at 2 threads, %.2fx from 1 to 2 threads, %.1f us per example at 2 threads, peak %.0f bytes per example\n",
        c, 100 * b / v2, v1 / v2, 1e6 * v2 / c, kb * 1024 / c }'
done
if [ "${#sizes[@]}" -ge 2 ]; then
  small=${sizes[0]} large=${sizes[-1]}
  awk -v s="$small" -v l="$large" -v ts="${seconds[verdict,$small,2]}" -v tl="${seconds[verdict,$large,2]}" \
    -v ms="${kb_at[$small]}" -v ml="${kb_at[$large]}" 'BEGIN {
      printf "from %s to %s clips: time x%.2f for x%.2f examples; memory grows %.0f bytes per extra example\n",
        s, l, tl / ts, l / s, (ml - ms) * 1024 / (l - s) }'
fi
