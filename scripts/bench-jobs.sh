#!/usr/bin/env bash
# Job-queue benchmark (issue 8: "100k due jobs drained ≥ 2,000 jobs/s on
# PostgreSQL with two replicas"). Builds a release binary, migrates a fresh
# database with it, and inserts in bulk SQL one division, one user (the
# assignee) with the e-mail channel turned off, N open tasks whose reminder
# is past, and N queued `task_reminder` jobs with the payload
# crates/tasks/src/reminders.rs writes. With e-mail off, each reminder job
# writes exactly one `task_due` notification and enqueues no delivery job,
# so the queue holds N jobs from start to end.
#
# Then it starts R `rapport serve` replicas on consecutive ports against the
# same database (--sweep-interval 0 --job-workers W --job-batch B
# --job-poll-ms 20), times from their start until every job is done (polling
# every 100 ms; the time includes the replicas' start-up), and prints jobs/s
# with checks: done = N, task_due notifications = N, distinct tasks among
# them = N, and how many jobs each replica ran.
#
#   scripts/bench-jobs.sh [--db postgres|sqlite] [--jobs N] [--replicas R]
#                         [--workers W] [--batch B] [--pool P] [--no-build]
#
# --pool sets each replica's --db-pool-size (default 4, the server's own).
# BENCH_JOBS_URL_SUFFIX is appended to the replicas' database URL, e.g.
# '?options=-csynchronous_commit%3Doff' to see what the per-job commit's
# WAL flush costs on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/lib.sh

DB=postgres JOBS=100000 REPLICAS=2 WORKERS=2 BATCH=50 POOL=4 BUILD=1
bench_parse_args --jobs:JOBS --replicas:REPLICAS --workers:WORKERS --batch:BATCH --pool:POOL -- "$@"
bench_init jobs 18090
PIDS=()
stop_replicas() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
trap 'stop_replicas; bench_cleanup' EXIT
bench_build
bench_create_db
"$BIN" migrate --database-url "$URL" >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; exit 1; }

sql() { # statements on stdin, in one transaction; prints the rows of the last
  if [ "$DB" = postgres ]; then
    psql -qAt -v ON_ERROR_STOP=1 --single-transaction "$URL"
  else
    python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN")
rows = []
for stmt in sys.stdin.read().split(";\n"):
    if stmt.strip():
        rows = c.execute(stmt).fetchall()
c.execute("COMMIT")
for row in rows:
    print("|".join(map(str, row)))' "$URL"
  fi
}

# Every reminder is at BASE + i seconds + 0.123457 s (BASE: N seconds and an
# hour ago, whole seconds, so every job is due), i = 1..N. Stored timestamps keep microseconds; serde writes a
# chrono NaiveDateTime as %Y-%m-%dT%H:%M:%S plus the shortest of .fff,
# .ffffff or .fffffffff that is exact, so a fraction of 123457 µs is always
# written with six digits. The payload is serde_json's, keys sorted
# ({"remind_at":…,"task_id":…}); the dedupe key is the one reminders.rs
# builds (task_reminder:<task>:<remind_at in µs since the epoch>).
BASE=$(( $(date +%s) - JOBS - 3600 ))
FRAC=123457
USER_ID=00000000-0000-7000-8000-000000000001
DIVISION_ID=00000000-0000-7000-8000-000000000002
if [ "$DB" = postgres ]; then
  NOW="(now() AT TIME ZONE 'UTC')"
  SERIES="generate_series(1, $JOBS) AS s(i)"
  HEX="lpad(to_hex(i), 12, '0')"
  TS="(to_timestamp($BASE + i) AT TIME ZONE 'UTC') + interval '$FRAC microseconds'"
  TS_JSON="to_char(to_timestamp($BASE + i) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || '.$FRAC'"
  CAT="||"
else
  NOW="strftime('%Y-%m-%d %H:%M:%f', 'now')"
  SERIES="(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $JOBS) SELECT i FROM n) AS s"
  HEX="printf('%012x', i)"
  TS="strftime('%Y-%m-%d %H:%M:%S', $BASE + i, 'unixepoch') || '.$FRAC'"
  TS_JSON="strftime('%Y-%m-%dT%H:%M:%S', $BASE + i, 'unixepoch') || '.$FRAC'"
  CAT="||"
fi
TASK_ID="'00000000-0000-7000-a000-' $CAT $HEX"
JOB_ID="'00000000-0000-7000-b000-' $CAT $HEX"

echo "inserting $JOBS tasks and $JOBS task_reminder jobs on $DB…" >&2
INSERT_START=$(date +%s.%N)
sql >/dev/null <<EOF
INSERT INTO divisions (id, code, name, version, created_at, updated_at)
  VALUES ('$DIVISION_ID', 'BJOB', 'Bench jobs', 1, $NOW, $NOW);
INSERT INTO users (id, email, name, role, division_id, active, version, created_at, updated_at)
  VALUES ('$USER_ID', 'assignee@bench.rapport.test', 'Bench assignee', 'sales_rep', '$DIVISION_ID', true, 1, $NOW, $NOW);
INSERT INTO notification_channels (user_id, channel, enabled, updated_at)
  VALUES ('$USER_ID', 'email', false, $NOW);
INSERT INTO tasks (id, title, kind, priority, status, division_id, assignee_id, due_at, remind_at, version, created_at, updated_at)
  SELECT $TASK_ID, 'Bench follow-up ' $CAT i, 'follow_up_call', 'normal', 'open', '$DIVISION_ID', '$USER_ID',
         $TS, $TS, 1, $NOW, $NOW
  FROM $SERIES;
INSERT INTO jobs (id, kind, payload, dedupe_key, status, run_at, attempts, max_attempts, created_at, updated_at)
  SELECT $JOB_ID, 'task_reminder',
         '{"remind_at":"' $CAT $TS_JSON $CAT '","task_id":"' $CAT $TASK_ID $CAT '"}',
         'task_reminder:' $CAT $TASK_ID $CAT ':' $CAT ((CAST($BASE AS BIGINT) + i) * 1000000 + $FRAC),
         'queued', $TS, 0, 8, $NOW, $NOW
  FROM $SERIES;
EOF
INSERT_SECS=$(awk -v s="$INSERT_START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
if [ "$DB" = postgres ]; then psql -q "$URL" -c "VACUUM (ANALYZE) jobs, tasks" >/dev/null
else echo "ANALYZE" | sql >/dev/null; fi
QUEUED=$(echo "SELECT count(*) FROM jobs WHERE status = 'queued'" | sql)
[ "$QUEUED" = "$JOBS" ] || { echo "expected $JOBS queued jobs, found $QUEUED" >&2; exit 1; }

count_done() { echo "SELECT count(*) FROM jobs WHERE status = 'done'" | sql; }

echo "starting $REPLICAS replica(s): --job-workers $WORKERS --job-batch $BATCH --db-pool-size $POOL…" >&2
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
START=$(date +%s.%N)
for ((r = 0; r < REPLICAS; r++)); do
  "$BIN" serve --bind "127.0.0.1:$((PORT + r))" --database-url "$URL${BENCH_JOBS_URL_SUFFIX:-}" --db-pool-size "$POOL" \
    --sweep-interval 0 --job-workers "$WORKERS" --job-batch "$BATCH" --job-poll-ms 20 \
    >"$WORK/server-$r.log" 2>&1 &
  PIDS+=($!)
done
DONE=0
TIMEOUT=${BENCH_JOBS_TIMEOUT:-900}
while :; do
  DONE=$(count_done)
  [ "$DONE" -ge "$JOBS" ] && break
  for pid in "${PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "a replica exited" >&2; cat "$WORK"/server-*.log >&2; exit 1; }
  done
  if awk -v s="$START" -v e="$(date +%s.%N)" -v t="$TIMEOUT" 'BEGIN { exit !(e - s > t) }'; then
    echo "timed out after $TIMEOUT s with $DONE of $JOBS done" >&2; break
  fi
  sleep 0.1
done
SECS=$(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
RATE=$(awk -v n="$DONE" -v s="$SECS" 'BEGIN { printf "%.0f", n / s }')
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
RSS=$(for pid in "${PIDS[@]}"; do awk '/VmRSS/ {printf "%.0f ", $2/1024}' "/proc/$pid/status"; done)
PER_REPLICA=()
for pid in "${PIDS[@]}"; do
  PER_REPLICA+=("$(echo "SELECT count(*) FROM jobs WHERE status = 'done' AND lease_owner LIKE '%:$pid:%'" | sql)")
done
stop_replicas

NOTIFIED=$(echo "SELECT count(*) FROM notifications WHERE kind = 'task_due'" | sql)
DISTINCT=$(echo "SELECT count(DISTINCT entity_id) FROM notifications WHERE kind = 'task_due'" | sql)
OTHER_JOBS=$(echo "SELECT count(*) FROM jobs WHERE kind <> 'task_reminder'" | sql)
RETRIED=$(echo "SELECT count(*) FROM jobs WHERE attempts > 1" | sql)
WARNINGS=$(cat "$WORK"/server-*.log | grep -c -i 'warn\|error' || true)

ok() { [ "$1" = "$2" ] && echo ok || echo "FAIL (expected $2)"; }
echo
echo "rapport $(git describe --always --dirty), $DB, $JOBS task_reminder jobs (inserted with their tasks in \
${INSERT_SECS}s), $REPLICAS replica(s) × --job-workers $WORKERS --job-batch $BATCH --db-pool-size $POOL, \
$(nproc) cores, load average before: $LOAD_BEFORE"
echo
echo "| jobs | replicas | workers | batch | pool | drained in | jobs/s | jobs per replica | replica RSS |"
echo "|---|---|---|---|---|---|---|---|---|"
echo "| $JOBS | $REPLICAS | $WORKERS | $BATCH | $POOL | $SECS s | **$RATE** | $(IFS=/; echo "${PER_REPLICA[*]}") | ${RSS% } MB |"
echo
echo "checks: done $DONE $(ok "$DONE" "$JOBS"); task_due notifications $NOTIFIED $(ok "$NOTIFIED" "$JOBS"); \
distinct tasks $DISTINCT $(ok "$DISTINCT" "$JOBS"); jobs per replica sum $(( ${PER_REPLICA[*]/%/+} 0 )) \
$(ok "$(( ${PER_REPLICA[*]/%/+} 0 ))" "$JOBS"); other jobs enqueued $OTHER_JOBS $(ok "$OTHER_JOBS" 0); \
jobs run more than once $RETRIED; warning/error log lines $WARNINGS"
echo "load average after: $LOAD_AFTER"
[ "$DONE" = "$JOBS" ] && [ "$NOTIFIED" = "$JOBS" ] && [ "$DISTINCT" = "$JOBS" ]
