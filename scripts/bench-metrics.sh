#!/usr/bin/env bash
# Metrics benchmark (issue 9): builds a release binary, seeds the demo data
# plus N synthetic leads (ten stage moves each), T synthetic tickets (with
# comments, status history, SLA rows and CSAT surveys) and C synthetic
# customers (five interactions each) on a fresh database, and measures with
# wrk at one connection (what one analyst waits; p50 is the figure):
#   - GET /api/v1/metrics/dashboard as the supervisor (everything) and as
#     the Motors manager (division scope), over the last 365 and 30 days;
#   - GET /api/v1/metrics/reports/{kpi} for every report, as the
#     supervisor, over the last 365 days (with group_by=month where the
#     report has a series; snapshots of now without a period).
# Prints req/s, p50, p99, server RSS and non-2xx answers.
#
# The desk sweeper and job workers are off: the reports are measured, not
# the background work (a year of synthetic resolved tickets would otherwise
# be closed, one status change each, during the run).
#
#   scripts/bench-metrics.sh [--db sqlite|postgres] [--leads N] [--tickets T]
#                            [--customers C] [--duration SECS] [--no-build]
#                            [--reuse-db URL]
#
# --reuse-db measures a database seeded before (by this script's seed
# command, kept) instead of seeding a fresh one: seeding at full scale takes
# 10-16 minutes. The server migrates it forward at start; it is not dropped.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/lib.sh

DB=sqlite LEADS=1000000 TICKETS=200000 CUSTOMERS=1000000 DURATION=10 BUILD=1 REUSE=""
bench_parse_args --leads:LEADS --tickets:TICKETS --customers:CUSTOMERS --duration:DURATION --reuse-db:REUSE -- "$@"
bench_need_wrk
bench_init metrics 18089
export RAPPORT_SWEEP_INTERVAL=0 RAPPORT_JOB_WORKERS=0
bench_build
if [ -n "$REUSE" ]; then
  URL=$REUSE PG_DB="rapport_bench_not_created" SEED_SECS="(reused)"
  echo "reusing $URL" >&2
else
  bench_create_db
  echo "seeding: demo data + $LEADS leads, $TICKETS tickets, $CUSTOMERS customers on $DB…" >&2
  bench_seed --demo --synthetic-leads "$LEADS" --synthetic-tickets "$TICKETS" --synthetic-customers "$CUSTOMERS"
fi
if [ "$DB" = postgres ]; then psql -q "$URL" -c "VACUUM (ANALYZE)" >/dev/null; fi

bench_start_server
SUPERVISOR=$(token supervisor@demo.rapport.test)
MANAGER=$(token manager@demo.rapport.test)
TO=$(TZ=Africa/Lagos date +%F)
YEAR="from=$(TZ=Africa/Lagos date -d '364 days ago' +%F)&to=$TO"
MONTH="from=$(TZ=Africa/Lagos date -d '29 days ago' +%F)&to=$TO"

# One request first: a failure here is a bug, not a benchmark result.
curl -sf -H "Authorization: Bearer $SUPERVISOR" "$BASE/api/v1/metrics/dashboard?$YEAR" >"$WORK/dashboard.json" ||
  { echo "the dashboard failed" >&2; cat "$WORK/server.log" >&2; exit 1; }
COUNTS=$(python3 -c "import json; d=json.load(open('$WORK/dashboard.json')); \
t={x['kpi']: {m['name']: m for m in x['measures']} for x in d['tiles']}; \
print('cohort', t['conversion']['cohort_rate']['denominator'], 'resolved', t['resolution_time']['count']['value'], \
'csat responses', t['csat']['responses']['value'], 'handled', t['handle_time']['interactions']['value'])")

run() { # name, token, path
  local out
  out=$(wrk --latency -t1 -c1 -d"${DURATION}s" -H "Authorization: Bearer $2" "$BASE$3")
  bench_wrk_stats "$out"
  printf '| %s | %s | %s | %s | %s MB | %s |\n' "$1" "$RPS" "$P50" "$P99" "$(rss_mb)" "$ERRORS"
}

echo
echo "rapport $(git describe --always --dirty), $DB, demo + $LEADS leads (+$((LEADS * 10)) history rows), $TICKETS tickets, \
$CUSTOMERS customers (+$((CUSTOMERS * 5)) interactions); seeded in ${SEED_SECS}s; wrk ${DURATION}s at 1 connection, \
$(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "last 365 days, supervisor: $COUNTS"
echo
echo "| request | req/s | p50 | p99 | server RSS | non-2xx |"
echo "|---|---|---|---|---|---|"
run "dashboard, supervisor, 365 days" "$SUPERVISOR" "/api/v1/metrics/dashboard?$YEAR"
run "dashboard, supervisor, 30 days" "$SUPERVISOR" "/api/v1/metrics/dashboard?$MONTH"
run "dashboard, Motors manager, 365 days" "$MANAGER" "/api/v1/metrics/dashboard?$YEAR"
for kpi in $(curl -sf "$BASE/api/v1/openapi.json" | json '" ".join(d["components"]["schemas"]["Kpi"]["enum"])'); do
  case "$kpi" in
    # Snapshots of now: no period, no series.
    pipeline|service_due|completeness|duplicates|invalid_contacts) query="" ;;
    # Customer reports measure up to the period's end and have no series.
    retention|repeat_purchase|rfm|lifetime_value|cross_sell) query="$YEAR" ;;
    *) query="$YEAR&group_by=month" ;;
  esac
  run "report $kpi" "$SUPERVISOR" "/api/v1/metrics/reports/$kpi?$query"
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
