#!/usr/bin/env bash
# Service-desk benchmark (issue 7): builds a release binary, seeds the demo
# data and N synthetic tickets with five comments each (see
# rapport_tickets::synthetic: 30 % unresolved, running clocks due across the
# ten days either side of now) on a fresh database, and measures with wrk:
#   - GET /api/v1/tickets?sla=at_risk as the Motors manager (division scope:
#     every synthetic ticket is in Motors), the default four-hour horizon,
#     newest first; at 1 connection (latency without queueing) and at C;
#   - POST /api/v1/tickets as the call-centre agent, without queue or
#     assignee, so the "Motors after-sales" routing rule, the queue's
#     round-robin and the SLA policy all run (scripts/bench/create_ticket.lua).
# Prints req/s, p50, p99, server RSS and non-2xx answers.
#
#   scripts/bench-tickets.sh [--db sqlite|postgres] [--tickets N] [--duration SECS]
#                            [--connections C] [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

DB=sqlite TICKETS=200000 DURATION=15 CONNECTIONS=8 BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --db) DB=$2; shift 2 ;;
    --tickets) TICKETS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$DB" in sqlite|postgres) ;; *) echo "--db must be sqlite or postgres" >&2; exit 2 ;; esac
command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }

PORT=18083
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
PG_ADMIN="postgres://postgres@127.0.0.1:5432/postgres"
PG_DB="rapport_bench_tickets_$(date +%s)"
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

echo "seeding: demo data + $TICKETS synthetic tickets on $DB…" >&2
SEED_START=$(date +%s)
"$BIN" seed --database-url "$URL" --demo --synthetic-tickets "$TICKETS" >"$WORK/seed.log" 2>&1 || { cat "$WORK/seed.log" >&2; exit 1; }
SEED_SECS=$(( $(date +%s) - SEED_START ))
# VACUUM as well as ANALYZE, as autovacuum would shortly after a bulk load.
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
MANAGER=$(token manager@demo.rapport.test)
CSR=$(token callcenter@demo.rapport.test)
DIVISION=$(curl -sf -H "Authorization: Bearer $MANAGER" "$BASE/api/v1/divisions?code=MOT" | json 'd["data"][0]["id"]')
BRANCH=$(curl -sf -H "Authorization: Bearer $MANAGER" "$BASE/api/v1/branches?division_id=$DIVISION" |
  json '[b["id"] for b in d["data"] if b["code"] == "MOT-IK"][0]')
CATEGORIES=$(curl -sf -H "Authorization: Bearer $MANAGER" "$BASE/api/v1/ticket-categories" |
  json '",".join(c["id"] for c in d["data"])')
AT_RISK="/api/v1/tickets?sla=at_risk"

# One request of each kind first: a failure here is a bug, not a benchmark result.
N_AT_RISK=$(curl -sf -H "Authorization: Bearer $MANAGER" "$BASE$AT_RISK&limit=200" | json 'len(d["data"])')
[ "$N_AT_RISK" -gt 0 ] || { echo "nothing at risk" >&2; exit 1; }
FIRST=$(curl -sf -H "Authorization: Bearer $CSR" -H 'content-type: application/json' "$BASE/api/v1/tickets" \
  -d "{\"division_id\":\"$DIVISION\",\"branch_id\":\"$BRANCH\",\"category_id\":\"${CATEGORIES%%,*}\",\"channel\":\"call\",\"subject\":\"Bench check\"}")
python3 -c "import sys,json; d=json.loads(sys.argv[1]); assert d['queue_id'] and d['assignee_id'] and d['sla']['resolution_due_at'], d" "$FIRST" ||
  { echo "a created ticket was not routed, assigned and given an SLA: $FIRST" >&2; exit 1; }

run() { # name, connections, token, path, [lua script]
  local out script=()
  [ -n "${5:-}" ] && script=(-s "$5")
  out=$(DIVISION_ID=$DIVISION BRANCH_ID=$BRANCH CATEGORY_IDS=$CATEGORIES wrk --latency -t"$(( $2 < 2 ? 1 : 2 ))" -c"$2" \
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
echo "rapport $(git describe --always --dirty), $DB, $TICKETS synthetic tickets (+$((TICKETS * 5)) comments; \
seeded with the demo data in ${SEED_SECS}s), wrk ${DURATION}s, $(nproc) cores, load average before: \
$(cut -d' ' -f1-3 /proc/loadavg); at risk (first 200): $N_AT_RISK"
echo
echo "| scenario | connections | req/s | p50 | p99 | server RSS | non-2xx |"
echo "|---|---|---|---|---|---|---|"
run "GET sla=at_risk (manager)" 1 "$MANAGER" "$AT_RISK"
run "GET sla=at_risk (manager)" "$CONNECTIONS" "$MANAGER" "$AT_RISK"
run "POST /tickets, routed + SLA (call centre)" "$CONNECTIONS" "$CSR" "/api/v1/tickets" scripts/bench/create_ticket.lua
# The at-risk list again, now that the creates added running clocks.
run "GET sla=at_risk after the creates (manager)" 1 "$MANAGER" "$AT_RISK"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${KEEP_DB:-0}" = 1 ]; then
  trap - EXIT
  kill "$SERVER_PID" 2>/dev/null || true
  echo "kept: $URL" >&2
fi
