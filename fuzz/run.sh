#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for FUZZ_SECONDS each (default
# 600), starting from the committed seeds in corpus_seeds/. Needs the nightly
# toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Crashes land in
# fuzz/artifacts/<target>/; turn each into a regression test.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-600}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "corpus_seeds/$t"
  echo "== $t for ${seconds}s"
  cargo +nightly fuzz run "$t" "corpus/$t" "corpus_seeds/$t" -- -max_total_time="$seconds" -rss_limit_mb=2048
done
