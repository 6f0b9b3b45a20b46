#!/usr/bin/env bash
# Leads benchmark (issue 6): builds a release binary, seeds the demo data and
# N synthetic leads with ten stage-history rows each (see
# rapport_leads::synthetic: owned in turn by the demo rep and 49 synthetic
# reps, about half of the open ones overdue) on a fresh database, and
# measures with wrk:
#   - POST /api/v1/leads as the demo rep (a new prospect each request,
#     scripts/bench/create_lead.lua) into the synthetic pipeline;
#   - GET /api/v1/leads?follow_up=overdue&owner=me as the demo rep, who owns
#     N/50 leads (about N/150 of them overdue), in the default order (newest
#     first) and in due order (sort=next_follow_up_at);
#   - GET /api/v1/pipelines/{id}/board of the synthetic pipeline (all N
#     leads) as the Motors manager, and of the demo pipeline for comparison.
# The reads run at 1 connection (latency without queueing) and at C.
# Prints req/s, p50, p99, server RSS and non-2xx answers.
#
#   scripts/bench-leads.sh [--db sqlite|postgres] [--leads N] [--duration SECS]
#                          [--connections C] [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/lib.sh

DB=sqlite LEADS=1000000 DURATION=15 CONNECTIONS=8 BUILD=1
bench_parse_args --leads:LEADS --duration:DURATION --connections:CONNECTIONS -- "$@"
bench_need_wrk
bench_init leads 18082
SYNTHETIC_PIPELINE=00000000-0000-7000-8006-000000000000
bench_build
bench_create_db

echo "seeding: demo data + $LEADS synthetic leads on $DB…" >&2
bench_seed --demo --synthetic-leads "$LEADS"
# VACUUM as well as ANALYZE: autovacuum does the same shortly after a bulk
# load, and until it has, index-only scans (the board) must visit the heap.
if [ "$DB" = postgres ]; then psql -q "$URL" -c "VACUUM (ANALYZE)" >/dev/null; fi

bench_start_server
REP=$(token sales@demo.rapport.test)
MANAGER=$(token manager@demo.rapport.test)
DIVISION=$(curl -sf -H "Authorization: Bearer $MANAGER" "$BASE/api/v1/divisions?code=MOT" | json 'd["data"][0]["id"]')
DEMO_PIPELINE=$(curl -sf -H "Authorization: Bearer $MANAGER" "$BASE/api/v1/pipelines?division_id=$DIVISION" |
  json '[p["id"] for p in d["data"] if p["name"] == "Motors sales"][0]')
OVERDUE="/api/v1/leads?follow_up=overdue&owner=me"
BOARD="/api/v1/pipelines/$SYNTHETIC_PIPELINE/board"

# One request of each kind first: a failure here is a bug, not a benchmark result.
N_OVERDUE=$(curl -sf -H "Authorization: Bearer $REP" "$BASE$OVERDUE&limit=200" | json 'len(d["data"])')
[ "$N_OVERDUE" -gt 0 ] || { echo "the rep has no overdue leads" >&2; exit 1; }
ON_BOARD=$(curl -sf -H "Authorization: Bearer $MANAGER" "$BASE$BOARD" | json 'sum(c["count"] for c in d["columns"])')
[ "$ON_BOARD" -ge "$LEADS" ] || { echo "the board counts $ON_BOARD leads, expected $LEADS" >&2; exit 1; }

run() { # name, connections, token, path, [lua script]
  local out script=()
  [ -n "${5:-}" ] && script=(-s "$5")
  out=$(DIVISION_ID=$DIVISION PIPELINE_ID=$SYNTHETIC_PIPELINE wrk --latency -t"$(( $2 < 2 ? 1 : 2 ))" -c"$2" \
    -d"${DURATION}s" "${script[@]}" -H "Authorization: Bearer $3" "$BASE$4")
  bench_wrk_stats "$out"
  printf '| %s | %s | %s | %s | %s | %s MB | %s |\n' "$1" "$2" "$RPS" "$P50" "$P99" "$(rss_mb)" "$ERRORS"
  grep -E 'Socket errors' <<<"$out" >&2 || true
}

echo
echo "rapport $(git describe --always --dirty), $DB, $LEADS synthetic leads (+$((LEADS * 10)) stage-history rows; \
seeded with the demo data in ${SEED_SECS}s), wrk ${DURATION}s, $(nproc) cores, load average before: \
$(cut -d' ' -f1-3 /proc/loadavg); the rep's first 200 overdue: $N_OVERDUE; on the board: $ON_BOARD"
echo
echo "| scenario | connections | req/s | p50 | p99 | server RSS | non-2xx |"
echo "|---|---|---|---|---|---|---|"
run "GET overdue, owner=me (rep)" 1 "$REP" "$OVERDUE"
run "GET overdue, owner=me (rep)" "$CONNECTIONS" "$REP" "$OVERDUE"
# The same list in due order: the follow-up index answers it in order.
run "GET overdue, owner=me, sort=next_follow_up_at (rep)" 1 "$REP" "$OVERDUE&sort=next_follow_up_at"
run "GET overdue, owner=me, sort=next_follow_up_at (rep)" "$CONNECTIONS" "$REP" "$OVERDUE&sort=next_follow_up_at"
run "GET board, synthetic pipeline ($LEADS leads, manager)" 1 "$MANAGER" "$BOARD"
run "GET board, synthetic pipeline ($LEADS leads, manager)" "$CONNECTIONS" "$MANAGER" "$BOARD"
run "GET board, demo pipeline (3,000 leads, manager)" "$CONNECTIONS" "$MANAGER" "/api/v1/pipelines/$DEMO_PIPELINE/board"
run "POST /leads (rep, new prospect each)" "$CONNECTIONS" "$REP" "/api/v1/leads" scripts/bench/create_lead.lua
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
