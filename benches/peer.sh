#!/usr/bin/env bash
# duewatch beside the script a bureau would write instead (issue 19): the peer's cron script over
# SQLite with chinese_calendar (../shared/bench/peer_poll.py, the project's shared bench input, or $PEER_DIR), on the same
# cases, in one run, with medians, ranges and ratios.
#
#   bash benches/peer.sh [TOTAL] [OPEN] [RUNS]      default 1000000 100000 5
#
# Environment: PROFILE (release; the binary is target/$PROFILE/duewatch, build it first),
# PEER_RUNS (1: each peer poll over 100,000 open cases takes about 40 s), IMPORT_RUNS (1),
# DAEMON_SECONDS (70; 0 skips the daemon), POLL (the daemon's cron, "*/10 * * * * *").
# Needs python3 with chinese_calendar (`pip install chinese_calendar`).
#
# Steps: the peer's `seed` (kept in target/bench-data/peer-TOTAL/), its cases as a CSV
# (peer_to_csv.py), `duewatch case import --allow-old` into a fresh SQLite file (timed, peak
# memory), the peer's poll (first: empty ledger; usual: again), duewatch's `run --once` (first:
# no notifications recorded; usual: again), the daemon (its first poll and the usual ones, from
# the `runs` table; its peak memory), `status --json`, `report` for the last month. Everything is
# as of today (UTC), for the peer and duewatch alike.
set -euo pipefail
cd "$(dirname "$0")/.."
# The peer's two scripts: the project's shared bench input, read where it is (not copied in).
peer=${PEER_DIR:-$PWD/../shared/bench}
[ -f "$peer/peer_poll.py" ] || { echo "peer.sh: no $peer/peer_poll.py; set PEER_DIR to the directory of peer_poll.py and peer_to_csv.py" >&2; exit 2; }
total=${1:-1000000}
open=${2:-100000}
runs=${3:-5}
peer_runs=${PEER_RUNS:-1}
import_runs=${IMPORT_RUNS:-1}
daemon_seconds=${DAEMON_SECONDS:-70}
poll_cron=${POLL:-*/10 * * * * *}
bin=$PWD/target/${PROFILE:-release}/duewatch
[ -x "$bin" ] || { echo "build $bin first: cargo build --${PROFILE:-release}" >&2; exit 1; }
python3 -c 'import chinese_calendar' 2>/dev/null ||
  { echo "pip install chinese_calendar first" >&2; exit 1; }
dir=$PWD/target/bench-data/peer-$total
mkdir -p "$dir"
today=$(date -u +%F)
month_from=$(date -u -d "$today -1 month" +%Y-%m-01)
month_to=$(date -u -d "$month_from +1 month -1 day" +%F)
results=$dir/results.txt
: > "$results"
note() { echo "$1 $2" >> "$results"; }  # name seconds

if [ ! -f "$dir/peer.db" ]; then
  echo "seeding the peer's $total cases ($open open)"
  python3 "$peer/peer_poll.py" seed "$dir/peer.db.tmp" "$total" "$open"
  mv "$dir/peer.db.tmp" "$dir/peer.db"
fi
[ -f "$dir/cases.csv" ] || python3 "$peer/peer_to_csv.py" "$dir/peer.db" "$dir/cases.csv"

config=$dir/duewatch.toml
{
  printf 'timezone = "UTC"\n[calendar]\ndir = "%s/calendars"\n' "$dir"
  printf '[database]\nurl = "sqlite://%s/duewatch.db"\n' "$dir"
  printf '[office]\nname = "办公室"\nemails = ["office@bureau.example"]\n'
  printf '[leadership]\nname = "局领导"\nemails = ["leaders@bureau.example"]\n'
  for i in $(seq 0 19); do
    printf '[[sections]]\ncode = "s%d"\nname = "第%d股"\nemails = ["s%d@bureau.example"]\n' "$i" "$i" "$i"
  done
  printf '[window]\nfrom = "00:00"\nto = "23:59"\nevery_day = true\n'
  printf '[schedule]\npoll = "%s"\n' "$poll_cron"
  printf '[mail]\ntransport = "file"\nfrom = "duewatch <duewatch@bureau.example>"\nadmins = ["it@bureau.example"]\n'
  printf '[mail.file]\ndir = "%s/mail"\n' "$dir"
} > "$config"
dw() { "$bin" --config "$config" "$@"; }
sql() { sqlite3 "$dir/duewatch.db" "$1"; }
forget() { sql "DELETE FROM repeats; DELETE FROM notifications; DELETE FROM outbox; DELETE FROM runs;"; rm -rf "$dir/mail"; }
# timed NAME CMD…: one run, its wall time (s) and peak memory (MB) noted.
timed() {
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$dir/time.txt" "$@" > /dev/null 2> "$dir/stderr.txt" ||
    { cat "$dir/stderr.txt" >&2; echo "$name failed" >&2; exit 1; }
  read -r s kib < "$dir/time.txt"
  note "$name" "$s"
  note "$name.mb" "$((kib / 1024))"
}

echo "importing $(($(wc -l < "$dir/cases.csv") - 1)) cases"
for ((i = 0; i < import_runs; i++)); do
  rm -f "$dir"/duewatch.db*
  dw db migrate > /dev/null 2>&1 || true
  timed import "$bin" --config "$config" case import --allow-old "$dir/cases.csv"
done

echo "the peer's polls (as of $today)"
for ((i = 0; i < peer_runs; i++)); do
  sqlite3 "$dir/peer.db" "DELETE FROM ledger"
  note peer.first "$(python3 "$peer/peer_poll.py" poll "$dir/peer.db" "$today" | awk '{print $3}')"
  note peer.usual "$(python3 "$peer/peer_poll.py" poll "$dir/peer.db" "$today" | awk '{print $3}')"
done

echo "duewatch run --once"
for ((i = 0; i < runs; i++)); do
  forget
  timed once.first "$bin" --config "$config" run --once
  timed once.usual "$bin" --config "$config" run --once
done

if [ "$daemon_seconds" -gt 0 ]; then
  echo "the daemon, $daemon_seconds s, polling \"$poll_cron\""
  forget
  "$bin" --config "$config" run > /dev/null 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  sleep "$daemon_seconds"
  hwm=$(awk '/^VmHWM/ {print $2}' /proc/$pid/status)
  rss=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status)
  kill -TERM $pid; wait $pid || true
  trap - EXIT
  note daemon.peak.mb $((hwm / 1024))
  note daemon.end.mb $((rss / 1024))
  n=0
  while read -r s; do
    if [ $n -eq 0 ]; then note daemon.first "$s"; else note daemon.usual "$s"; fi
    n=$((n + 1))
  done < <(sql "SELECT round((julianday(finished_at) - julianday(started_at)) * 86400, 3) FROM runs WHERE job = 'poll' AND finished_at IS NOT NULL ORDER BY id")
fi

echo "status and report"
for ((i = 0; i < runs; i++)); do
  timed status "$bin" --config "$config" status --json
  timed report "$bin" --config "$config" report --from "$month_from" --to "$month_to" --output "$dir/report.txt"
done

python3 - "$results" "$total" "$open" <<'PY'
import statistics, sys
from collections import defaultdict
v = defaultdict(list)
for line in open(sys.argv[1]):
    k, x = line.split()
    v[k].append(float(x))
def med(k): return statistics.median(v[k]) if v[k] else None
def show(k):
    if not v[k]: return "-"
    xs = v[k]
    return f"{med(k):.3f} s ({min(xs):.3f}-{max(xs):.3f}, n={len(xs)})" if not k.endswith(".mb") else f"{med(k):.0f} MB ({min(xs):.0f}-{max(xs):.0f})"
print(f"\n{int(sys.argv[2]):,} cases, {int(sys.argv[3]):,} open; medians (range, runs)")
rows = [("import", "case import"), ("import.mb", "case import peak"),
        ("peer.first", "peer: first poll"), ("peer.usual", "peer: usual poll"),
        ("once.first", "run --once: first poll"), ("once.first.mb", "run --once first: peak"),
        ("once.usual", "run --once: usual poll"), ("daemon.first", "daemon: first poll"),
        ("daemon.usual", "daemon: usual poll"), ("daemon.peak.mb", "daemon: peak"),
        ("daemon.end.mb", "daemon: resident at the end"),
        ("status", "status --json"), ("status.mb", "status peak"),
        ("report", "report (last month)"), ("report.mb", "report peak")]
for k, name in rows:
    print(f"  {name:30} {show(k)}")
print("ratios (peer / duewatch, medians of this run)")
for p, d in [("peer.first", "once.first"), ("peer.first", "daemon.first"),
             ("peer.usual", "once.usual"), ("peer.usual", "daemon.usual")]:
    if med(p) and med(d):
        print(f"  {p} / {d}: {med(p) / med(d):.0f}x")
PY
