#!/usr/bin/env bash
# Service-desk benchmark (issue 7): builds a release binary, seeds the demo
# data and N synthetic tickets with five comments each (see
# rapport_tickets::synthetic: 30 % unresolved, running clocks due across the
# ten days either side of now) on a fresh database, runs `rapport sweep` once
# (the auto-closes and breach notices a running server would have sent long
# ago), and measures with wrk:
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
source scripts/bench/lib.sh

DB=sqlite TICKETS=200000 DURATION=15 CONNECTIONS=8 BUILD=1
bench_parse_args --tickets:TICKETS --duration:DURATION --connections:CONNECTIONS -- "$@"
bench_need_wrk
bench_init tickets 18083
bench_build
bench_create_db

echo "seeding: demo data + $TICKETS synthetic tickets on $DB…" >&2
bench_seed --demo --synthetic-tickets "$TICKETS"
# VACUUM as well as ANALYZE, as autovacuum would shortly after a bulk load.
if [ "$DB" = postgres ]; then psql -q "$URL" -c "VACUUM (ANALYZE)" >/dev/null; fi
# The synthetic tickets are written without the sweeper's work: resolved
# tickets past the auto-close window, past deadlines never announced. A
# server that had been running would have done it long ago; do it once
# here, so that what is measured is the steady state, not the catch-up.
SWEEP_START=$(date +%s)
"$BIN" sweep --database-url "$URL" >"$WORK/sweep.log" 2>&1 || { cat "$WORK/sweep.log" >&2; exit 1; }
echo "caught up with the sweep in $(( $(date +%s) - SWEEP_START ))s: $(tail -n1 "$WORK/sweep.log")" >&2

bench_start_server
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
  bench_wrk_stats "$out"
  printf '| %s | %s | %s | %s | %s | %s MB | %s |\n' "$1" "$2" "$RPS" "$P50" "$P99" "$(rss_mb)" "$ERRORS"
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
