#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for FUZZ_SECONDS each (default
# 600), one at a time, at low priority, starting from the committed seeds in
# corpus_seeds/ and growing corpus/<target>/ (not committed). Needs the
# nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Crashes land
# in fuzz/artifacts/<target>/; turn each into a regression test
# (docs/fuzzing.md). Each target's log goes to ${FUZZ_LOGS:-/tmp}/fuzz_<target>.log.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-600}
logs=${FUZZ_LOGS:-/tmp}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
status=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "corpus_seeds/$t"
  echo "== $t for ${seconds}s (log: $logs/fuzz_$t.log)"
  if nice -n "${FUZZ_NICE:-19}" cargo +nightly fuzz run "$t" "corpus/$t" "corpus_seeds/$t" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 >"$logs/fuzz_$t.log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^Done' "$logs/fuzz_$t.log" || true
    tail -n 12 "$logs/fuzz_$t.log" | grep -m1 -E 'DONE|cov:' || true
  else
    status=1
    echo "!! $t stopped early: see $logs/fuzz_$t.log and fuzz/artifacts/$t/"
  fi
done
exit $status
