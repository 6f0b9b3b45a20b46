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

DB=sqlite LEADS=1000000 DURATION=15 CONNECTIONS=8 BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --db) DB=$2; shift 2 ;;
    --leads) LEADS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$DB" in sqlite|postgres) ;; *) echo "--db must be sqlite or postgres" >&2; exit 2 ;; esac
command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }

PORT=18082
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
PG_ADMIN="postgres://postgres@127.0.0.1:5432/postgres"
PG_DB="rapport_bench_leads_$(date +%s)"
SYNTHETIC_PIPELINE=00000000-0000-7000-8006-000000000000
SERVER_PID=""
export RAPPORT_JWT_SECRET="bench-secret-bench-secret-bench-secret-0123"
export RAPPORT_ACCESS_TOKEN_TTL=3600
export RAPPORT_LOG=warn

cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  if [ "$DB" = postgres ]; then psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ "$BUILD" = 1 ]; then
  echo "building release binary…" >&2
  cargo build --release -q -p rapport-server
fi
BIN=${CARGO_TARGET_DIR:-target}/release/rapport
if [ "$DB" = postgres ]; then
  psql -q "$PG_ADMIN" -c "CREATE DATABASE $PG_DB" >/dev/null
  URL="postgres://postgres@127.0.0.1:5432/$PG_DB"
else
  URL="$WORK/bench.db"
fi

echo "seeding: demo data + $LEADS synthetic leads on $DB…" >&2
SEED_START=$(date +%s)
"$BIN" seed --database-url "$URL" --demo --synthetic-leads "$LEADS" >"$WORK/seed.log" 2>&1 || { cat "$WORK/seed.log" >&2; exit 1; }
SEED_SECS=$(( $(date +%s) - SEED_START ))
# VACUUM as well as ANALYZE: autovacuum does the same shortly after a bulk
# load, and until it has, index-only scans (the board) must visit the heap.
if [ "$DB" = postgres ]; then psql -q "$URL" -c "VACUUM (ANALYZE)" >/dev/null; fi

"$BIN" serve --bind "127.0.0.1:$PORT" --database-url "$URL" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "$BASE/readyz" >/dev/null || { echo "server did not become ready" >&2; cat "$WORK/server.log" >&2; exit 1; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$SERVER_PID/status"; }
json() { python3 -c "import sys,json; d=json.load(sys.stdin); print($1)"; }

token() {
  curl -sf "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"Rapport-Demo-2026!\"}" | json 'd["access_token"]'
}
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
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$out"); errors=${errors:-0}
  printf '| %s | %s | %s | %s | %s | %s MB | %s |\n' "$1" "$2" "$rps" "$p50" "$p99" "$(rss_mb)" "$errors"
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
