#!/usr/bin/env bash
# Benchmark harness: builds a release binary, starts it on a fresh database
# filled with synthetic data, and measures each scenario with wrk (req/s,
# p50, p99) plus the server's resident memory. Traffic goes to 127.0.0.1 only
# and every run stops by itself.
#
#   scripts/bench.sh [--db sqlite|postgres] [--scale N] [--duration SECS]
#                    [--connections C] [--baseline REV]
#
# --baseline REV also builds REV (e.g. the last commit before authentication)
# and measures its unauthenticated GET of a branch in the same run, for the
# "authenticated ≥ 85 % of unauthenticated" comparison.
set -euo pipefail
cd "$(dirname "$0")/.."

DB=sqlite SCALE=10000 DURATION=15 CONNECTIONS=64 BASELINE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --db) DB=$2; shift 2 ;;
    --scale) SCALE=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --baseline) BASELINE=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$DB" in sqlite|postgres) ;; *) echo "--db must be sqlite or postgres" >&2; exit 2 ;; esac

command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }

PORT=18080
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
PG_ADMIN="postgres://postgres@127.0.0.1:5432/postgres"
PG_DB="rapport_bench_$(date +%s)"
SERVER_PID="" LOGIN_PID=""
export RAPPORT_JWT_SECRET="bench-secret-bench-secret-bench-secret-0123"
export RAPPORT_ACCESS_TOKEN_TTL=3600
export RAPPORT_LOG=warn

cleanup() {
  [ -n "$LOGIN_PID" ] && kill "$LOGIN_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  if [ "$DB" = postgres ]; then psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; fi
  [ -d "$WORK/baseline" ] && git worktree remove --force "$WORK/baseline" 2>/dev/null || true
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

start_server() { # binary
  "$1" serve --bind "127.0.0.1:$PORT" --database-url "$URL" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -sf "$BASE/readyz" >/dev/null && return 0; sleep 0.1; done
  echo "server did not become ready:" >&2; cat "$WORK/server.log" >&2; exit 1
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$SERVER_PID/status"; }

echo "seeding: demo data + $SCALE synthetic branches on $DB…" >&2
"$BIN" seed --database-url "$URL" --demo --synthetic-branches "$SCALE" >/dev/null 2>&1
start_server "$BIN"

TOKEN=$(curl -sf "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"analyst@demo.rapport.test","password":"Rapport-Demo-2026!"}' |
  python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')
BRANCH=$(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/branches?limit=1&sort=-code" |
  python3 -c 'import sys,json; print(json.load(sys.stdin)["data"][0]["id"])')

declare -A RPS
SOCKET_ERRORS=""
# scenario name, path, [extra wrk args...]; prints a markdown row
run() {
  local name=$1 path=$2; shift 2
  local out
  out=$(wrk --latency -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$@" "$BASE$path")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$out"); errors=${errors:-0}
  # "Socket errors: connect 0, read 0, write 0, timeout 0" appears only when one is non-zero
  if grep -q 'Socket errors' <<<"$out"; then
    SOCKET_ERRORS+="$name: $(grep 'Socket errors' <<<"$out" | sed 's/^ *//')"$'\n'
  fi
  RPS[$name]=$rps
  printf '| %s | %s | %s | %s | %s MB | %s |\n' "$name" "$rps" "$p50" "$p99" "$(rss_mb)" "$errors"
}

echo
echo "rapport $(git describe --always --dirty), $DB, $SCALE branches, wrk -t2 -c$CONNECTIONS -d${DURATION}s, $(nproc) cores, load average before: $(cut -d" " -f1-3 /proc/loadavg)"
echo
echo "| scenario | req/s | p50 | p99 | server RSS | non-2xx |"
echo "|---|---|---|---|---|---|"
run "GET /healthz" /healthz
run "GET one branch (JWT)" "/api/v1/branches/$BRANCH" -H "Authorization: Bearer $TOKEN"
run "GET 50 branches (JWT)" "/api/v1/branches?limit=50" -H "Authorization: Bearer $TOKEN"
python3 scripts/bench/login_load.py "$BASE" admin@demo.rapport.test 'Rapport-Demo-2026!' 20 "$((DURATION + 2))" >"$WORK/logins.txt" &
LOGIN_PID=$!
sleep 1
run "GET one branch (JWT) during 20 logins/s" "/api/v1/branches/$BRANCH" -H "Authorization: Bearer $TOKEN"
wait "$LOGIN_PID"; LOGIN_PID=""
stop_server

if [ -n "$BASELINE" ]; then
  echo "building baseline $BASELINE…" >&2
  git worktree add -q --detach "$WORK/baseline" "$BASELINE"
  BASELINE_TARGET="$PWD/target/bench-baseline"
  (cd "$WORK/baseline" && CARGO_TARGET_DIR="$BASELINE_TARGET" cargo build --release -q -p rapport-server)
  if [ "$DB" = postgres ]; then
    psql -q "$PG_ADMIN" -c "DROP DATABASE $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB" >/dev/null
  else
    rm -f "$URL" "$URL"-*
  fi
  "$BASELINE_TARGET/release/rapport" seed --database-url "$URL" --demo --synthetic-branches "$SCALE" >/dev/null 2>&1
  start_server "$BASELINE_TARGET/release/rapport"
  OLD_BRANCH=$(curl -sf "$BASE/api/v1/branches?limit=1&sort=-code" | python3 -c 'import sys,json; print(json.load(sys.stdin)["data"][0]["id"])')
  run "GET one branch, no auth ($BASELINE)" "/api/v1/branches/$OLD_BRANCH"
  stop_server
  git worktree remove --force "$WORK/baseline"
fi

echo
echo "$(cat "$WORK/logins.txt")"
if [ -n "$SOCKET_ERRORS" ]; then printf 'wrk socket errors:\n%s' "$SOCKET_ERRORS"; else echo "wrk socket errors: none"; fi
awk -v b="${RPS["GET one branch (JWT)"]}" -v h="${RPS["GET /healthz"]}" \
  'BEGIN { printf "one branch (JWT) / healthz: %.0f %%\n", 100 * b / h }'
if [ -n "$BASELINE" ]; then
  awk -v a="${RPS["GET one branch (JWT)"]}" -v u="${RPS["GET one branch, no auth ($BASELINE)"]}" \
    'BEGIN { printf "one branch with JWT / without auth: %.0f %%\n", 100 * a / u }'
fi
