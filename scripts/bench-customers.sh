#!/usr/bin/env bash
# Customers benchmark: builds a release binary, seeds N synthetic customers
# (each with a phone, an email, a vehicle, a purchase and five interactions;
# see rapport_customers::synthetic) on a fresh database, and measures with
# wrk the 360° profile of a random customer and a search by a random
# customer's phone typed as people type it. Prints req/s, p50, p99, RSS.
#
#   scripts/bench-customers.sh [--db sqlite|postgres] [--customers N]
#                              [--duration SECS] [--connections C] [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/lib.sh

DB=sqlite CUSTOMERS=1000000 DURATION=15 CONNECTIONS=8 BUILD=1
bench_parse_args --customers:CUSTOMERS --duration:DURATION --connections:CONNECTIONS -- "$@"
bench_need_wrk
bench_init customers 18081
bench_build
bench_create_db

echo "seeding: demo data + $CUSTOMERS synthetic customers on $DB…" >&2
bench_seed --demo --synthetic-customers "$CUSTOMERS"
if [ "$DB" = postgres ]; then psql -q "$URL" -c "ANALYZE" >/dev/null; fi

bench_start_server

TOKEN=$(token analyst@demo.rapport.test)
# One request of each kind first: a failure here is a bug, not a benchmark result.
curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/customers/00000000-0000-7000-8000-000000000007/profile" >/dev/null
HITS=$(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/customers?q=0800%20000%200007" | python3 -c 'import sys,json; print(len(json.load(sys.stdin)["data"]))')
[ "$HITS" = 1 ] || { echo "phone search found $HITS customers, expected 1" >&2; exit 1; }

run() { # name, mode
  local out
  out=$(CUSTOMERS=$CUSTOMERS MODE=$2 wrk --latency -t2 -c"$CONNECTIONS" -d"${DURATION}s" \
    -s scripts/bench/random_customer.lua -H "Authorization: Bearer $TOKEN" "$BASE")
  bench_wrk_stats "$out"
  printf '| %s | %s | %s | %s | %s MB | %s |\n' "$1" "$RPS" "$P50" "$P99" "$(rss_mb)" "$ERRORS"
}

echo
echo "rapport $(git describe --always --dirty), $DB, $CUSTOMERS customers (+$CUSTOMERS assets, +$CUSTOMERS purchases, +$((CUSTOMERS * 5)) interactions; seeded in ${SEED_SECS}s), wrk -t2 -c$CONNECTIONS -d${DURATION}s, $(nproc) cores"
echo
echo "| scenario | req/s | p50 | p99 | server RSS | non-2xx |"
echo "|---|---|---|---|---|---|"
run "GET /customers/{random}/profile" profile
run "GET /customers?q=<random phone as typed>" phone
