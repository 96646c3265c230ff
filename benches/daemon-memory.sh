#!/usr/bin/env bash
# Resident memory and poll durations of the daemon itself over the poll benchmark's data
# (100,000 open cases of 1,000,000; run `cargo bench --bench poll` once first to make it).
#
#   bash benches/daemon-memory.sh sqlite|postgres [SECONDS] [POLL-CRON]
#
# Runs the release binary with a poll every 20 s (or POLL-CRON) for SECONDS (default 150), samples
# /proc/PID/status every second, deletes today's `repeats` rows half-way (so one poll is the
# first of a new day), and prints: the samples, each poll's duration from the `runs` table, peak
# RSS (VmHWM), and idle RSS (the lowest and highest sample taken while no poll ran, after the
# first poll).
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:?sqlite or postgres}
seconds=${2:-150}
poll=${3:-*/20 * * * * *}
data=target/bench-data
base=$data/poll-$backend.toml
[ -f "$base" ] || { echo "run 'cargo bench --bench poll' first: it makes $base" >&2; exit 1; }
config=$data/memory-$backend.toml
{ cat "$base"; printf '[schedule]\npoll = "%s"\n' "$poll"; } > "$config"
case $backend in
  sqlite) sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print("\n".join("|".join(map(str,x)) for x in r))' "$data/status.db" "$1"; } ;;
  postgres) sql() { psql -qAt -h 127.0.0.1 -U postgres duewatch_bench_status -c "$1"; } ;;
esac
sql "DELETE FROM repeats" >/dev/null; sql "DELETE FROM notifications" >/dev/null
sql "DELETE FROM outbox" >/dev/null; sql "DELETE FROM runs" >/dev/null
cargo build --release --quiet
target/release/duewatch --config "$config" run 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
samples=$(mktemp)
for ((t = 0; t < seconds; t++)); do
  sleep 1
  [ "$t" -eq $((seconds / 2)) ] && sql "DELETE FROM repeats" >/dev/null
  running=$(sql "SELECT count(*) FROM runs WHERE finished_at IS NULL")
  rss=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status)
  anon=$(awk '/^RssAnon/ {print $2}' /proc/$pid/status)
  echo "$t $rss $anon $running" >> "$samples"
done
hwm=$(awk '/^VmHWM/ {print $2}' /proc/$pid/status)
kill -TERM $pid; wait $pid || true
echo "second rss_kib anon_kib poll_running"; cat "$samples"
echo "polls (id, seconds, cases, notified):"
case $backend in
  sqlite) sql "SELECT id, round((julianday(finished_at) - julianday(started_at)) * 86400, 3), cases, notified FROM runs WHERE job = 'poll' ORDER BY id" ;;
  postgres) sql "SELECT id, round(extract(epoch FROM finished_at - started_at)::numeric, 3), cases, notified FROM runs WHERE job = 'poll' ORDER BY id" ;;
esac
first_done=$(awk '$4 == 1 {seen = 1} seen && $4 == 0 {print $1; exit}' "$samples")
echo "peak RSS: $((hwm / 1024)) MB"
awk -v from="$first_done" '$1 >= from && $4 == 0 {if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2}
  END {printf "idle RSS (no poll running, after the first): %d-%d MB\n", min / 1024, max / 1024}' "$samples"
