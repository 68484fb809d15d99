#!/usr/bin/env bash
# huitoukan beside what a clerk's IT person would pick instead, on the same
# generated data: importing the roster (sqlite3 `.import --csv`, which checks
# nothing, and a python csv + sqlite3 script that checks what matters),
# lookups by ID tail, full ID and name (sqlite3 without and with an index),
# a CSV export (`sqlite3 -csv`) and a report (one GROUP BY in sqlite3).
# Each pair runs alternated (A B, then B A, ...) and the medians are compared.
#
#   scripts/peers.sh                          # 22,000 households, 5 rounds
#   PEERS_N=1000000 PEERS_ROUNDS=3 scripts/peers.sh
#   BIN=/path/to/other/huitoukan scripts/peers.sh   # another build, same data
#
# Needs: python3, GNU time (/usr/bin/time, for peak memory). A peer that is
# absent (sqlite3: `apt-get install -y sqlite3`) is skipped with a note.
# Work files go to $PEERS_WORK (default $CARGO_TARGET_DIR/tmp/peers-N; the
# demo store is kept there for the next run), the table to $OUT/peers-N.md.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
N=${PEERS_N:-22000}
ROUNDS=${PEERS_ROUNDS:-5}
SEED=2021
WORK=${PEERS_WORK:-$CARGO_TARGET_DIR/tmp/peers-$N}
OUT=${OUT:-$CARGO_TARGET_DIR/figures}
if [ -z "${BIN:-}" ]; then
    cargo build --release --locked --bin huitoukan >&2
    BIN=$CARGO_TARGET_DIR/release/huitoukan
fi
mkdir -p "$WORK" "$OUT"
TIMES=$WORK/times.tsv
: > "$TIMES"
NOTES=()
have_sqlite=1
command -v sqlite3 > /dev/null || { have_sqlite=0; NOTES+=("sqlite3 is not installed: its rows are skipped (apt-get install -y sqlite3)"); }
# Nothing here may touch the user's store or config.
export HUITOUKAN_HOME=$WORK/home HUITOUKAN_CONFIG=$WORK/config
mkdir -p "$HUITOUKAN_HOME" "$HUITOUKAN_CONFIG"
printf '[backup]\non_exit = false\n' > "$HUITOUKAN_CONFIG/config.toml"

STORE=$WORK/store
if [ ! -e "$WORK/store-complete" ]; then
    rm -rf "$STORE"
    "$BIN" --db "$STORE" demo --households "$N" --seed $SEED > /dev/null
    touch "$WORK/store-complete"
fi
# The export is the peers' table; its first ten columns are a roster of every household.
"$BIN" --db "$STORE" export "$WORK/export.csv" > /dev/null
python3 - "$WORK/export.csv" "$WORK/roster.csv" "$WORK/probe" <<'EOF'
import csv, sys
with open(sys.argv[1], encoding="utf-8-sig", newline="") as f, open(sys.argv[2], "w", encoding="utf-8-sig", newline="") as g:
    w = csv.writer(g)
    rows = csv.reader(f)
    header = next(rows)
    w.writerow(header[:10])
    probe = None
    for i, row in enumerate(rows):
        w.writerow(row[:10])
        if i <= 999:  # the thousandth household (or the last) is looked up
            probe = row
# Columns are named like "A3 户主证件号码".
id_col = next(i for i, h in enumerate(header) if h.endswith("户主证件号码"))
name_col = next(i for i, h in enumerate(header) if h.endswith("户主姓名"))
open(sys.argv[3], "w").write(f"{probe[id_col][-4:]}\n{probe[name_col]}\n{probe[id_col]}\n{header[id_col]}\n{header[name_col]}\n")
EOF
TAIL=$(sed -n 1p "$WORK/probe"); NAME=$(sed -n 2p "$WORK/probe"); FULLID=$(sed -n 3p "$WORK/probe")
ID=\"$(sed -n 4p "$WORK/probe")\"; HEAD=\"$(sed -n 5p "$WORK/probe")\"

# The python peer: reads the roster, checks every row as a careful script
# would (ID check digit and birth date, dates, numbers, required text, an ID
# once) and inserts the good rows in one transaction.
cat > "$WORK/import.py" <<'EOF'
import csv, datetime, re, sqlite3, sys
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
C = "10X98765432"
def id_ok(s):
    # An ID card number, or a disability certificate's (the ID and two digits).
    if re.fullmatch(r"\d{17}[\dX]\d\d", s):
        s = s[:18]
    if not re.fullmatch(r"\d{17}[\dX]", s):
        return False
    try:
        datetime.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return C[sum(int(a) * b for a, b in zip(s[:17], W)) % 11] == s[17]
def month(s):
    m = re.fullmatch(r"(\d{4})\D?(\d{1,2})(\D.*)?", s.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return f"{int(m.group(1)):04}-{int(m.group(2)):02}"
db = sqlite3.connect(sys.argv[2])
db.execute("create table households (township, village, address, head, id text unique, size int,"
           " category, risk, enrolled, eliminated)")
bad = 0
rows = []
seen = set()
with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
    r = csv.reader(f)
    next(r)
    for row in r:
        if len(row) < 10:
            bad += 1; continue
        t, v, addr, head, idn, size, cat, risk, enr, elim = (x.strip() for x in row[:10])
        idn = idn.upper()
        ok = t and v and addr and head and id_ok(idn) and idn not in seen and size.isdigit() and 1 <= int(size) <= 30
        enrolled = month(enr)
        ok = ok and enrolled is not None and (not elim or month(elim) is not None)
        if not ok:
            bad += 1; continue
        seen.add(idn)
        rows.append((t, v, addr, head, idn, int(size), cat, risk, enrolled, month(elim) if elim else None))
with db:
    db.executemany("insert into households values (?,?,?,?,?,?,?,?,?,?)", rows)
print(f"imported {len(rows)}, rejected {bad}")
EOF

# run NAME COMMAND...: one timed run (wall seconds, peak RSS MB) into $TIMES.
run() {
    local name=$1; shift
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$WORK/rss" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || {
        echo "peers: $name failed: $(tail -3 "$WORK/$name.err")" >&2; return 1; }
    t1=$(date +%s%N)
    printf '%s\t%s\t%s\n' "$name" "$(( (t1 - t0) / 1000 ))" "$(( $(tail -1 "$WORK/rss") / 1024 ))" >> "$TIMES"
}
fresh_import() { rm -rf "$WORK/imported"; "$BIN" --db "$WORK/imported" import "$WORK/roster.csv"; }
sqlite_import() { rm -f "$WORK/imported.db"; sqlite3 "$WORK/imported.db" ".import --csv $WORK/roster.csv households"; }
python_import() { rm -f "$WORK/imported-py.db"; python3 "$WORK/import.py" "$WORK/roster.csv" "$WORK/imported-py.db"; }

PEER_DB=$WORK/peer.db
PEER_IDX=$WORK/peer-indexed.db
if [ $have_sqlite = 1 ]; then
    rm -f "$PEER_DB" "$PEER_IDX"
    sqlite3 "$PEER_DB" ".import --csv $WORK/export.csv households"
    cp "$PEER_DB" "$PEER_IDX"
    sqlite3 "$PEER_IDX" "create index by_id on households($ID); create index by_tail on households(substr($ID, -4)); create index by_name on households($HEAD);"
fi
q_tail="select 乡镇, 村, $HEAD, $ID, 状态 from households where $ID like '%$TAIL'"
q_tail_idx="select 乡镇, 村, $HEAD, $ID, 状态 from households where substr($ID, -4) = '$TAIL'"
q_name="select 乡镇, 村, $HEAD, $ID, 状态 from households where $HEAD like '%$NAME%'"
q_name_idx="select 乡镇, 村, $HEAD, $ID, 状态 from households where $HEAD = '$NAME'"
q_id="select * from households where $ID = '$FULLID'"
q_report="select 乡镇, 村, count(*), sum(状态 = '已提交'), sum(状态 = '草稿'), sum(状态 = '未填') from households group by 乡镇, 村 order by 乡镇, 村"

# pair A_NAME A_FN B_NAME B_FN: round r runs A then B when r is odd, else B then A.
pair() {
    local r=$1 an=$2 af=$3 bn=$4 bf=$5
    if [ $((r % 2)) = 1 ]; then run "$an" $af; run "$bn" $bf; else run "$bn" $bf; run "$an" $af; fi
}
h_tail() { "$BIN" --db "$STORE" show "$TAIL"; }
h_name() { "$BIN" --db "$STORE" show "$NAME"; }
h_id() { "$BIN" --db "$STORE" show "$FULLID"; }
h_export() { "$BIN" --db "$STORE" export "$WORK/out.csv"; }
h_report() { "$BIN" --db "$STORE" report -o "$WORK/report.txt"; }
s_tail() { sqlite3 "$PEER_DB" "$q_tail"; }
s_tail_idx() { sqlite3 "$PEER_IDX" "$q_tail_idx"; }
s_name() { sqlite3 "$PEER_DB" "$q_name"; }
s_name_idx() { sqlite3 "$PEER_IDX" "$q_name_idx"; }
s_id() { sqlite3 "$PEER_IDX" "$q_id"; }
s_export() { sqlite3 -csv -header "$PEER_DB" 'select * from households' > "$WORK/out-sqlite.csv"; }
s_report() { sqlite3 "$PEER_DB" "$q_report"; }
export -f h_tail h_name h_id h_export h_report s_tail s_tail_idx s_name s_name_idx s_id s_export s_report fresh_import sqlite_import python_import
export BIN STORE WORK TAIL NAME FULLID PEER_DB PEER_IDX q_tail q_tail_idx q_name q_name_idx q_id q_report

for r in $(seq 1 "$ROUNDS"); do
    echo "peers: round $r of $ROUNDS" >&2
    pair "$r" import "bash -c fresh_import" py-import "bash -c python_import"
    if [ $have_sqlite = 1 ]; then
        pair "$r" import "bash -c fresh_import" sqlite-import "bash -c sqlite_import"
        pair "$r" show-tail "bash -c h_tail" sqlite-tail-like "bash -c s_tail"
        run sqlite-tail-indexed bash -c s_tail_idx
        pair "$r" show-name "bash -c h_name" sqlite-name-like "bash -c s_name"
        run sqlite-name-indexed bash -c s_name_idx
        pair "$r" show-id "bash -c h_id" sqlite-id-indexed "bash -c s_id"
        pair "$r" export-csv "bash -c h_export" sqlite-export-csv "bash -c s_export"
        pair "$r" report "bash -c h_report" sqlite-group-by "bash -c s_report"
    else
        for n in show-tail:h_tail show-name:h_name show-id:h_id export-csv:h_export report:h_report; do
            run "${n%%:*}" bash -c "${n#*:}"
        done
    fi
done
rm -rf "$WORK/imported" "$WORK/imported.db" "$WORK/imported-py.db" "$WORK/out.csv" "$WORK/out-sqlite.csv"

TABLE=$OUT/peers-$N.md
python3 - "$TIMES" "$N" "$ROUNDS" "$TAIL" "$NAME" "$(cat "$WORK/py-import.out" 2>/dev/null)" "${NOTES[@]}" > "$TABLE" <<'EOF'
import statistics, sys
times, n, rounds, tail, name, py = sys.argv[1:7]
notes = sys.argv[7:]
runs = {}
for line in open(times):
    k, us, mb = line.split("\t")
    runs.setdefault(k, []).append((int(us) / 1e6, int(mb)))
def med(k):
    v = runs.get(k)
    return (statistics.median(t for t, _ in v), max(m for _, m in v)) if v else None
def cell(k):
    m = med(k)
    return f"{m[0]:.3f} s, {m[1]} MB" if m else "skipped"
rows = [
    ("import the roster into a fresh store", "import", "sqlite-import", "sqlite3 .import --csv (no checks)"),
    ("the same", "import", "py-import", f"python csv + sqlite3, checked, one transaction ({py})"),
    (f"show {tail} (ID tail)", "show-tail", "sqlite-tail-like", "sqlite3 LIKE '%tail', no index"),
    ("the same", "show-tail", "sqlite-tail-indexed", "sqlite3, index on substr(id, -4)"),
    (f"show {name} (name)", "show-name", "sqlite-name-like", "sqlite3 LIKE '%name%', no index"),
    ("the same", "show-name", "sqlite-name-indexed", "sqlite3 = name, indexed"),
    ("show by full ID", "show-id", "sqlite-id-indexed", "sqlite3, index on id"),
    ("export CSV", "export-csv", "sqlite-export-csv", "sqlite3 -csv"),
    ("report", "report", "sqlite-group-by", "sqlite3 GROUP BY 乡镇, 村"),
]
print(f"# huitoukan and its peers, {int(n):,} households, medians of {rounds} alternated rounds\n")
print("| work | huitoukan | peer | peer's figure | ratio |")
print("|---|---|---|---|---|")
for work, h, p, what in rows:
    a, b = med(h), med(p)
    ratio = f"{a[0] / b[0]:.2f}×" if a and b and b[0] > 0 else "–"
    print(f"| {work} | {cell(h)} | {what} | {cell(p)} | {ratio} |")
for note in notes:
    print(f"\nNote: {note}")
print("\nEach command is a whole process (start, open, work, exit), timed from outside; memory is GNU time's peak RSS.")
EOF
cat "$TABLE"
echo "peers: table in $TABLE, every run in $TIMES" >&2
