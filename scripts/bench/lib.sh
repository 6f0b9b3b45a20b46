# Shared by the scripts/bench-*.sh benchmarks; source it from the repository
# root after `set -euo pipefail`. It parses the common options, builds the
# release binary, creates a fresh database (a temp SQLite file or a new
# PostgreSQL database, dropped on exit), seeds it, starts the server on a
# loopback port and signs in. Every run cleans up after itself.
#
# A script calls, in order:
#   bench_parse_args [--flag:VAR ...] -- "$@"   # --db and --no-build always
#   bench_init NAME PORT                        # WORK, BASE, PG_DB, env, trap
#   bench_build; bench_create_db                # BIN, URL
#   bench_seed SEED-ARGS...                     # SEED_SECS
#   bench_start_server
# and then uses token, json, rss_mb and bench_wrk_stats as it needs.

# Parses "$@" after `--`: --db sqlite|postgres (into DB), --no-build
# (BUILD=0), and each `--flag:VAR` given before `--` as an option taking a
# value into VAR. The caller sets the defaults (DB=sqlite BUILD=1 ...) first.
bench_parse_args() {
  local -A vars=()
  while [ "$1" != -- ]; do vars[${1%%:*}]=${1#*:}; shift; done
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --db) DB=$2; shift 2 ;;
      --no-build) BUILD=0; shift ;;
      *)
        [ -n "${vars[$1]:-}" ] || { echo "unknown option $1" >&2; exit 2; }
        [ $# -ge 2 ] || { echo "$1 needs a value" >&2; exit 2; }
        printf -v "${vars[$1]}" '%s' "$2"; shift 2 ;;
    esac
  done
  case "$DB" in sqlite|postgres) ;; *) echo "--db must be sqlite or postgres" >&2; exit 2 ;; esac
}

bench_need_wrk() {
  command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }
}

# NAME names the PostgreSQL database (rapport_bench_NAME_<time>); PORT is the
# loopback port the server listens on.
bench_init() {
  PORT=$2
  BASE="http://127.0.0.1:$PORT"
  WORK=$(mktemp -d)
  PG_ADMIN="postgres://postgres@127.0.0.1:5432/postgres"
  PG_DB="rapport_bench_$1_$(date +%s)"
  SERVER_PID=""
  export RAPPORT_JWT_SECRET="bench-secret-bench-secret-bench-secret-0123"
  export RAPPORT_ACCESS_TOKEN_TTL=3600
  export RAPPORT_LOG=warn
  trap bench_cleanup EXIT
}

bench_cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  if [ "$DB" = postgres ]; then psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}

bench_build() {
  if [ "$BUILD" = 1 ]; then
    echo "building release binary…" >&2
    cargo build --release -q -p rapport-server
  fi
  BIN=${CARGO_TARGET_DIR:-target}/release/rapport
}

bench_create_db() {
  if [ "$DB" = postgres ]; then
    psql -q "$PG_ADMIN" -c "CREATE DATABASE $PG_DB" >/dev/null
    URL="postgres://postgres@127.0.0.1:5432/$PG_DB"
  else
    URL="$WORK/bench.db"
  fi
}

# Runs `rapport seed` on the database with the given arguments; the log is
# shown only on failure. Sets SEED_SECS.
bench_seed() {
  local start
  start=$(date +%s)
  "$BIN" seed --database-url "$URL" "$@" >"$WORK/seed.log" 2>&1 || { cat "$WORK/seed.log" >&2; exit 1; }
  SEED_SECS=$(( $(date +%s) - start ))
}

bench_start_server() {
  "$BIN" serve --bind "127.0.0.1:$PORT" --database-url "$URL" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.1; done
  curl -sf "$BASE/readyz" >/dev/null || { echo "server did not become ready" >&2; cat "$WORK/server.log" >&2; exit 1; }
}

rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$SERVER_PID/status"; }
json() { python3 -c "import sys,json; d=json.load(sys.stdin); print($1)"; }

# An access token for a demo user.
token() {
  curl -sf "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"Rapport-Demo-2026!\"}" | json 'd["access_token"]'
}

# Reads wrk --latency output into RPS, P50, P99 and ERRORS (non-2xx answers).
bench_wrk_stats() {
  RPS=$(awk '/Requests\/sec/ {print $2}' <<<"$1")
  P50=$(awk '$1=="50%" {print $2}' <<<"$1")
  P99=$(awk '$1=="99%" {print $2}' <<<"$1")
  ERRORS=$(awk '/Non-2xx/ {print $5}' <<<"$1"); ERRORS=${ERRORS:-0}
}
