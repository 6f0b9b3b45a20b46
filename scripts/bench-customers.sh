#!/usr/bin/env bash
# Customers benchmark: builds a release binary, seeds N synthetic customers
# (each with a phone, an email, a vehicle, a purchase and five interactions;
# see rapport_customers::synthetic) on a fresh database, and measures with
# wrk the 360° profile of a random customer and a search by a random
# customer's phone typed as people type it. Prints req/s, p50, p99, RSS.
#
#   scripts/bench-customers.sh [--db sqlite|postgres] [--customers N]
#                              [--duration SECS] [--connections C]
set -euo pipefail
cd "$(dirname "$0")/.."

DB=sqlite CUSTOMERS=1000000 DURATION=15 CONNECTIONS=8
while [ $# -gt 0 ]; do
  case "$1" in
    --db) DB=$2; shift 2 ;;
    --customers) CUSTOMERS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$DB" in sqlite|postgres) ;; *) echo "--db must be sqlite or postgres" >&2; exit 2 ;; esac
command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }

PORT=18081
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
PG_ADMIN="postgres://postgres@127.0.0.1:5432/postgres"
PG_DB="rapport_bench_customers_$(date +%s)"
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

echo "building release binary…" >&2
cargo build --release -q -p rapport-server
BIN=target/release/rapport
if [ "$DB" = postgres ]; then
  psql -q "$PG_ADMIN" -c "CREATE DATABASE $PG_DB" >/dev/null
  URL="postgres://postgres@127.0.0.1:5432/$PG_DB"
else
  URL="$WORK/bench.db"
fi

echo "seeding: demo data + $CUSTOMERS synthetic customers on $DB…" >&2
SEED_START=$(date +%s)
"$BIN" seed --database-url "$URL" --demo --synthetic-customers "$CUSTOMERS" >"$WORK/seed.log" 2>&1 || { cat "$WORK/seed.log" >&2; exit 1; }
SEED_SECS=$(( $(date +%s) - SEED_START ))
if [ "$DB" = postgres ]; then psql -q "postgres://postgres@127.0.0.1:5432/$PG_DB" -c "ANALYZE" >/dev/null; fi

"$BIN" serve --bind "127.0.0.1:$PORT" --database-url "$URL" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "$BASE/readyz" >/dev/null || { echo "server did not become ready" >&2; cat "$WORK/server.log" >&2; exit 1; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$SERVER_PID/status"; }

TOKEN=$(curl -sf "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"analyst@demo.rapport.test","password":"Rapport-Demo-2026!"}' |
  python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')
# One request of each kind first: a failure here is a bug, not a benchmark result.
curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/customers/00000000-0000-7000-8000-000000000007/profile" >/dev/null
HITS=$(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/customers?q=0800%20000%200007" | python3 -c 'import sys,json; print(len(json.load(sys.stdin)["data"]))')
[ "$HITS" = 1 ] || { echo "phone search found $HITS customers, expected 1" >&2; exit 1; }

run() { # name, mode
  local out
  out=$(CUSTOMERS=$CUSTOMERS MODE=$2 wrk --latency -t2 -c"$CONNECTIONS" -d"${DURATION}s" \
    -s scripts/bench/random_customer.lua -H "Authorization: Bearer $TOKEN" "$BASE")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$out"); errors=${errors:-0}
  printf '| %s | %s | %s | %s | %s MB | %s |\n' "$1" "$rps" "$p50" "$p99" "$(rss_mb)" "$errors"
}

echo
echo "rapport $(git describe --always --dirty), $DB, $CUSTOMERS customers (+$CUSTOMERS assets, +$CUSTOMERS purchases, +$((CUSTOMERS * 5)) interactions; seeded in ${SEED_SECS}s), wrk -t2 -c$CONNECTIONS -d${DURATION}s, $(nproc) cores"
echo
echo "| scenario | req/s | p50 | p99 | server RSS | non-2xx |"
echo "|---|---|---|---|---|---|"
run "GET /customers/{random}/profile" profile
run "GET /customers?q=<random phone as typed>" phone
