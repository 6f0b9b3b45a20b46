#!/usr/bin/env bash
# Change-feed benchmark (issue 8): builds a release binary, seeds the demo
# data on a fresh database (which migrates it and creates the demo admin),
# then inserts N synthetic change events straight into change_events with
# SQL (scripts/bench/feed_events.sh: seven entity types, 550–700-byte JSON
# payloads; on PostgreSQL in transactions of BATCH events, so tx_id varies),
# and reads the whole feed from the start as the demo admin with
# scripts/bench/read_feed.py (one keep-alive connection, limit=1000,
# following next_cursor until has_more is false):
#   - every event (N plus the demo data's own);
#   - only entity_type=ticket (a tenth of the synthetic events).
# Prints events/s for each read (the feed's, from the time spent waiting for
# pages, and the Python reader's, from wall time), page p50/p99 and the
# server's RSS.
#
#   scripts/bench-feed.sh [--db sqlite|postgres] [--events N] [--batch B] [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/lib.sh
source scripts/bench/feed_events.sh

DB=sqlite EVENTS=1000000 BATCH=100000 BUILD=1
bench_parse_args --events:EVENTS --batch:BATCH -- "$@"
bench_init feed 18084
FILTER=ticket
bench_build
bench_create_db

echo "seeding: demo data on $DB…" >&2
bench_seed --demo
sql() { # one statement on stdin, run in its own transaction; prints its rows
  if [ "$DB" = postgres ]; then
    psql -qAt -v ON_ERROR_STOP=1 "$URL"
  else
    python3 -c 'import sqlite3, sys
for row in sqlite3.connect(sys.argv[1], isolation_level=None).execute(sys.stdin.read()):
    print("|".join(map(str, row)))' "$URL"
  fi
}

echo "inserting $EVENTS change events in transactions of $BATCH…" >&2
INSERT_START=$(date +%s.%N)
for ((first = 1; first <= EVENTS; first += BATCH)); do
  last=$(( first + BATCH - 1 < EVENTS ? first + BATCH - 1 : EVENTS ))
  feed_events_sql "$DB" "$first" "$last" | sql
done
INSERT_SECS=$(awk -v s="$INSERT_START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }')
if [ "$DB" = postgres ]; then
  psql -q "$URL" -c "VACUUM (ANALYZE) change_events" >/dev/null
  VISIBLE="WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())"
else
  VISIBLE=""
fi
TOTAL=$(echo "SELECT count(*) FROM change_events" | sql)
ONE_TYPE=$(echo "SELECT count(*) FROM change_events WHERE entity_type = '$FILTER'" | sql)
# On PostgreSQL an event is readable once every transaction that began before
# it has ended, in any database of the cluster: wait out other writers.
for _ in $(seq 1 120); do
  [ "$(echo "SELECT count(*) FROM change_events $VISIBLE" | sql)" = "$TOTAL" ] && break
  sleep 0.5
done
[ "$(echo "SELECT count(*) FROM change_events $VISIBLE" | sql)" = "$TOTAL" ] ||
  { echo "after 60 s, an older transaction still hides events from the feed" >&2; exit 1; }
# PostgreSQL: the table with its indexes; SQLite: the whole file.
if [ "$DB" = postgres ]; then STORED="SELECT pg_total_relation_size('change_events') / 1000000"
else STORED="SELECT page_count * page_size / 1000000 FROM pragma_page_count(), pragma_page_size()"; fi
STORED_MB=$(echo "$STORED" | sql)

bench_start_server
ADMIN=$(token admin@demo.rapport.test)

read_feed() { # name, expected, [entity type]
  local out
  out=$(python3 scripts/bench/read_feed.py "$BASE" "$ADMIN" "$2" ${3:+"$3"})
  IFS=$'\t' read -r events pages secs feed_eps reader_eps p50 p99 mb <<<"$out"
  printf '| %s | %s | %s | %s s | **%s** | %s | %s ms | %s ms | %s MB | %s MB |\n' \
    "$1" "$events" "$pages" "$secs" "$feed_eps" "$reader_eps" "$p50" "$p99" "$mb" "$(rss_mb)"
}

echo
echo "rapport $(git describe --always --dirty), $DB, $TOTAL change events ($EVENTS synthetic, inserted in \
${INSERT_SECS}s; $([ "$DB" = postgres ] && echo "change_events with indexes" || echo "database file") ${STORED_MB} MB), $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
# events/s: "feed" counts only the time the reader waited for pages (the
# server's rate); "reader" is wall time, including this Python reader's
# JSON parsing between pages (see scripts/bench/read_feed.py).
echo "| read (limit=1000, one connection) | events | pages | wall time | events/s, feed | events/s, reader | page p50 | page p99 | received | server RSS |"
echo "|---|---|---|---|---|---|---|---|---|---|"
read_feed "whole feed" "$TOTAL"
read_feed "entity_type=$FILTER" "$ONE_TYPE" "$FILTER"
# The whole feed again, with the table now in the page cache either way.
read_feed "whole feed, again" "$TOTAL"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
