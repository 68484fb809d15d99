#!/usr/bin/env bash
# Reproduces the figures of docs/performance.md: criterion benches at 22,000
# and 1,000,000 households, then one-shot timings and peak memory of the
# real binary (GNU time), including the app's start to its first frame in
# an 80x24 tmux pane.
#
#   scripts/bench-figures.sh              # everything (about 1.5 hours on 2 cores)
#   SKIP_CRITERION=1 scripts/bench-figures.sh   # only the binary's figures
#   HUITOUKAN_BENCH_1M=0 scripts/bench-figures.sh   # 22,000 only
#   SKIP_PEERS=1 scripts/bench-figures.sh      # without scripts/peers.sh (sqlite3, python)
#
# Needs: cargo, /usr/bin/time (GNU, `apt-get install time`), tmux, python3.
# Uses CARGO_TARGET_DIR (default: target/); the demo stores are the benches'
# own, kept under $CARGO_TARGET_DIR/tmp/bench-stores (about 2.3 GB), and the
# logs and a summary go to $OUT (default: $CARGO_TARGET_DIR/figures).
# Nothing here touches a real store or the user's config: the app runs with
# HUITOUKAN_CONFIG pointing at a config that turns the exit snapshot off.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
OUT=${OUT:-$CARGO_TARGET_DIR/figures}
STORES=$CARGO_TARGET_DIR/tmp/bench-stores
BIN=$CARGO_TARGET_DIR/release/huitoukan
SEED=2021
SIZES="22000"
[ "${HUITOUKAN_BENCH_1M:-1}" != 0 ] && SIZES="22000 1000000"
mkdir -p "$OUT" "$STORES/scratch"
SUMMARY=$OUT/summary.tsv

label() { case $1 in 22000) echo 22k ;; 1000000) echo 1m ;; *) echo "$1" ;; esac; }

# ---- 1. criterion -----------------------------------------------------------
cargo build --release --locked
if [ "${SKIP_CRITERION:-0}" != 1 ]; then
    for b in store form ui report io; do
        echo "== cargo bench --bench $b" >&2
        cargo bench --locked --bench "$b" 2>&1 | tee "$OUT/bench-$b.log"
    done
fi

# ---- 2. the stores (the benches make them; same data as `huitoukan demo`) ---
for n in $SIZES; do
    s=$STORES/demo-$n-seed$SEED
    if [ ! -e "$s/bench-complete" ]; then
        rm -rf "$s"
        /usr/bin/time -v -o "$OUT/demo-$(label $n).time" "$BIN" --db "$s" demo --households "$n" --seed $SEED
        touch "$s/bench-complete"
    fi
done

# ---- 3. one-shot commands under GNU time ------------------------------------
printf 'what\twall\tpeak_rss_MB\texit\n' > "$SUMMARY"
# measure NAME COMMAND...: wall time and peak RSS of one run.
measure() {
    local name=$1; shift
    local rc=0
    /usr/bin/time -v -o "$OUT/$name.time" "$@" > "$OUT/$name.out" 2>&1 || rc=$?
    local wall rss
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$OUT/$name.time")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$OUT/$name.time")
    printf '%s\t%s\t%d\t%s\n' "$name" "$wall" $((rss / 1024)) "$rc" | tee -a "$SUMMARY"
}

# The one-shot import of a million-row roster is stopped past this much
# resident memory or time, so that it cannot take the machine down.
IMPORT_LIMIT_MB=${IMPORT_LIMIT_MB:-12000}
IMPORT_LIMIT_S=${IMPORT_LIMIT_S:-900}
# guarded NAME LIMIT_MB LIMIT_S COMMAND...: like measure, and samples the
# command's resident memory every second into NAME.rss (seconds, MB); ends
# it (its own PID: TERM, then KILL) past LIMIT_MB resident or LIMIT_S seconds.
guarded() {
    local name=$1 limit=$2 secs=$3; shift 3
    local rc=0 why="" pid="" rss=0 t0=$SECONDS
    /usr/bin/time -v -o "$OUT/$name.time" "$@" > "$OUT/$name.out" 2>&1 &
    local tpid=$!
    : > "$OUT/$name.rss"
    while kill -0 "$tpid" 2>/dev/null; do
        [ -z "$pid" ] && pid=$(pgrep -P "$tpid" | head -1 || true)
        if [ -n "$pid" ] && [ -z "$why" ]; then
            rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$pid/status" 2>/dev/null || echo 0)
            echo "$((SECONDS - t0)) $rss" >> "$OUT/$name.rss"
            if [ "${rss:-0}" -gt "$limit" ]; then why="stopped at $rss MB resident"; fi
            if [ $((SECONDS - t0)) -gt "$secs" ]; then why="stopped after $secs s"; fi
            if [ -n "$why" ]; then
                kill -TERM "$pid" 2>/dev/null || true
                sleep 5
                kill -KILL "$pid" 2>/dev/null || true
            fi
        fi
        sleep 1
    done
    wait "$tpid" || rc=$?
    local wall peak
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$OUT/$name.time")
    peak=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$OUT/$name.time")
    printf '%s\t%s\t%d\t%s%s\n' "$name" "${wall:-?}" $(( ${peak:-0} / 1024 )) "$rc" "${why:+ ($why)}" | tee -a "$SUMMARY"
}

# Keeps the first ten columns of an export (the roster's: 乡镇 … A8).
to_roster() {
    python3 - "$1" "$2" <<'EOF'
import csv, sys
with open(sys.argv[1], encoding="utf-8-sig", newline="") as f, open(sys.argv[2], "w", encoding="utf-8-sig", newline="") as g:
    w = csv.writer(g)
    for row in csv.reader(f):
        w.writerow(row[:10])
EOF
}

SCRATCH=$STORES/scratch/cli
rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"
for n in $SIZES; do
    l=$(label "$n")
    s=$STORES/demo-$n-seed$SEED
    measure "show-name-$l" "$BIN" --db "$s" show 李林
    measure "show-idtail-$l" "$BIN" --db "$s" show 8741
    measure "report-$l" "$BIN" --db "$s" report -o "$SCRATCH/report-$l.txt"
    # The households alone (what sqlite3 -csv of one table is compared with), then every form.
    measure "export-csv-$l" "$BIN" --db "$s" export --no-handbook "$SCRATCH/export-$l.csv"
    measure "export-csv-all-forms-$l" "$BIN" --db "$s" export "$SCRATCH/all-$l.csv"
    rm -f "$SCRATCH/all-$l"*.csv
    measure "snapshot-save-$l" "$BIN" --db "$s" snapshot save "$SCRATCH/$l.htksnap"
    measure "snapshot-verify-$l" "$BIN" snapshot verify "$SCRATCH/$l.htksnap"
    measure "snapshot-restore-$l" "$BIN" --db "$SCRATCH/restored-$l" snapshot restore --yes "$SCRATCH/$l.htksnap"
    rm -rf "$SCRATCH/restored-$l" "$SCRATCH/$l.htksnap"
    # The export cut to the roster's columns is a roster of every household.
    to_roster "$SCRATCH/export-$l.csv" "$SCRATCH/roster-$l.csv"
    rm -f "$SCRATCH/export-$l.csv"
    if [ "$n" -le 22000 ]; then
        measure "import-$l-roster-new-store" "$BIN" --db "$SCRATCH/imported-$l" import "$SCRATCH/roster-$l.csv"
        rm -rf "$SCRATCH/imported-$l"
    else
        # A roster is one county's; a city-sized one is a one-shot, watched:
        # first the first 100,000 and 200,000 rows, to see how memory grows.
        for k in 100000 200000; do
            head -n $((k + 1)) "$SCRATCH/roster-$l.csv" > "$SCRATCH/roster-$k.csv"
            guarded "import-$(label $k)-roster-new-store" "$IMPORT_LIMIT_MB" "$IMPORT_LIMIT_S" \
                "$BIN" --db "$SCRATCH/imported-$k" import "$SCRATCH/roster-$k.csv"
            rm -rf "$SCRATCH/imported-$k" "$SCRATCH/roster-$k.csv"
        done
        guarded "import-$l-roster-new-store" "$IMPORT_LIMIT_MB" "$IMPORT_LIMIT_S" \
            "$BIN" --db "$SCRATCH/imported-$l" import "$SCRATCH/roster-$l.csv"
        rm -rf "$SCRATCH/imported-$l"
    fi
    rm -f "$SCRATCH/roster-$l.csv"
done

# ---- 4. the app: start to first frame in an 80x24 tmux pane -----------------
CONF=$SCRATCH/config
mkdir -p "$CONF"
printf '[backup]\non_exit = false\n' > "$CONF/config.toml"
# app NAME STORE: starts the app, waits for the first frame, reads the
# process's peak RSS then (VmHWM), quits with q, and keeps GNU time's figures.
app() {
    local name=$1 store=$2 session=htk-figures-$$
    local started frame pane pid hwm
    started=$(date +%s.%N)
    tmux new-session -d -s "$session" -x 80 -y 24 \
        "HUITOUKAN_CONFIG=$CONF /usr/bin/time -v -o $OUT/$name.time $BIN --db $store 2>$OUT/$name.err"
    until tmux capture-pane -p -t "$session" 2>/dev/null | grep -q 全部乡镇; do sleep 0.02; done
    frame=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
    pane=$(tmux display-message -p -t "$session" '#{pane_pid}')
    pid=$(pgrep -P "$pane" -x huitoukan || pgrep -P "$(pgrep -P "$pane" | head -1)" -x huitoukan)
    hwm=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$pid/status")
    tmux capture-pane -p -t "$session" > "$OUT/$name.screen"
    sleep 1  # a cold start writes its summary cache right after the first frame
    tmux send-keys -t "$session" q
    while tmux has-session -t "$session" 2>/dev/null; do sleep 0.1; done
    local rss
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$OUT/$name.time")
    printf '%s\tfirst frame %.2fs\tat first frame %d, whole run %d\n' "$name" "$frame" "$hwm" $((rss / 1024)) | tee -a "$SUMMARY"
}
for n in $SIZES; do
    l=$(label "$n")
    s=$STORES/demo-$n-seed$SEED
    rm -f "$s/huitoukan.summaries"
    app "app-cold-$l" "$s"   # no summary cache: a scan (first start on a store)
    app "app-warm-$l" "$s"   # with the cache the cold start wrote
    app "app-warm2-$l" "$s"
done
rm -rf "$SCRATCH"

# ---- 5. criterion's figures as one table ------------------------------------
# Per benchmark: criterion's median estimate, and the fastest and slowest
# sample (time per iteration), from $CARGO_TARGET_DIR/criterion/*/new.
python3 - "$CARGO_TARGET_DIR/criterion" > "$OUT/criterion.md" <<'EOF'
import json, pathlib, sys
def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"
print("| benchmark | median | range (fastest–slowest sample) | samples |")
print("|---|---|---|---|")
for b in sorted(pathlib.Path(sys.argv[1]).glob("**/new/benchmark.json")):
    meta = json.loads(b.read_text())
    est = json.loads((b.parent / "estimates.json").read_text())
    sample = json.loads((b.parent / "sample.json").read_text())
    per = [t / i for t, i in zip(sample["times"], sample["iters"])]
    print(f"| {meta['full_id']} | {fmt(est['median']['point_estimate'])} | {fmt(min(per))}–{fmt(max(per))} | {len(per)} |")
EOF
# ---- 6. peers: sqlite3 and a python script on the same data ----------------
if [ "${SKIP_PEERS:-0}" != 1 ]; then
    for n in $SIZES; do
        rounds=5; [ "$n" -gt 100000 ] && rounds=3
        BIN=$BIN OUT=$OUT PEERS_N=$n PEERS_ROUNDS=$rounds scripts/peers.sh
    done
fi
echo "figures in $OUT (summary: $SUMMARY, criterion: $OUT/criterion.md, peers: $OUT/peers-*.md)" >&2
