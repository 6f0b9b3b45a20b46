#!/usr/bin/env python3
"""Bulk-ingestion benchmark: POST /api/v1/interactions/bulk in batches of 1,000.

Builds the release binary (unless --no-build), starts it on a fresh database
(a temp SQLite file, or a new PostgreSQL database dropped afterwards), loads
the demo data, creates customers, categories and rules through the API, then
posts BATCHES batches of 1,000 interactions from CLIENTS concurrent clients
and prints interactions/s, batch latency (p50/p99) and a check that every
item was created (each item has a unique external id, a customer, and no
category, so the categorisation rules run on every one).

With --synthetic-customers N the database is first loaded with N synthetic
customers (each with a vehicle, a purchase and five interactions: the issue's
scale is N = 1,000,000, so 5M interactions already stored) and the items go to
random ones of them instead of customers created through the API.

A database started from the seed cache is read into the OS page cache first
and the seed copy dropped from it, as a server up for a while would have it.

--dates says when the items happened: `live` (the default) is middleware
forwarding calls and messages as they happen, batch b holding minute b of a
busy contact centre (dates at random within that minute, so each batch is
later than the one before); `backfill` is a history import with dates spread
at random over ten months, the worst case for the date-ordered indexes.

    scripts/bench/interactions_bulk.py [--db sqlite|postgres] [--batches 40]
        [--clients 2] [--customers 500] [--synthetic-customers N]
        [--dates live|backfill] [--no-build]

Traffic goes to 127.0.0.1 only; the run stops by itself.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

PORT = 18081
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PASSWORD = "Rapport-Demo-2026!"
CHANNELS = ["call", "email", "meeting", "whatsapp", "sms", "visit", "social"]
PHRASES = ["oil change", "service booking", "refund please", "price of the new model", "brake noise",
           "warranty claim", "test drive", "invoice copy", "generator repair", "thank you"]


def request(conn, method, path, body=None, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    payload = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    conn.request(method, path, body=payload, headers=headers)
    res = conn.getresponse()
    data = res.read()
    return res.status, (json.loads(data) if data else None)


def expect(status, body, want, what):
    if status != want:
        sys.exit(f"{what}: expected {want}, got {status}: {body}")
    return body


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--customers", type=int, default=500)
    ap.add_argument("--synthetic-customers", type=int, default=0)
    ap.add_argument("--dates", choices=["live", "backfill"], default="live")
    ap.add_argument("--seed-cache", metavar="DIR",
                    help="keep the seeded database and start from it next time: a copy in DIR (SQLite), "
                         "a template database rapport_bulk_seed_N (PostgreSQL)")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.chdir(root)
    if not args.no_build:
        print("building release binary…", file=sys.stderr)
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "rapport-server"], check=True)
    binary = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target")), "release/rapport")
    work = tempfile.mkdtemp()
    pg_db = f"rapport_bulk_{int(time.time())}"
    url = os.path.join(work, "bench.db")
    pg_template = f"rapport_bulk_seed_{args.synthetic_customers}"
    pg_cached = args.db == "postgres" and args.seed_cache and pg_has_database(pg_template)
    if args.db == "postgres":
        # FILE_COPY: PostgreSQL 15's default copy writes the whole template
        # (10 GB at a million customers) to the WAL, and the checkpoints it
        # forces then ran during the measurement.
        template = f" TEMPLATE {pg_template} STRATEGY FILE_COPY" if pg_cached else ""
        subprocess.run(["psql", "-q", PG_ADMIN, "-c", f"CREATE DATABASE {pg_db}{template}"], check=True,
                       stdout=subprocess.DEVNULL)
        url = f"postgres://postgres@127.0.0.1:5432/{pg_db}"
    env = dict(os.environ, RAPPORT_JWT_SECRET="bench-secret-bench-secret-bench-secret-0123",
               RAPPORT_ACCESS_TOKEN_TTL="3600", RAPPORT_LOG="warn")
    server = None
    try:
        seed = [binary, "seed", "--database-url", url, "--demo"]
        if args.synthetic_customers:
            seed += ["--synthetic-customers", str(args.synthetic_customers)]
            print(f"seeding {args.synthetic_customers} synthetic customers…", file=sys.stderr)
        started = time.perf_counter()
        cached = args.seed_cache and os.path.join(args.seed_cache, f"seed-{args.synthetic_customers}.db")
        if cached and args.db == "sqlite" and os.path.exists(cached):
            shutil.copyfile(cached, url)
            # The copy is what a long-running server would have cached;
            # the seed file it came from is not.
            settle_page_cache(evict=[cached], warm=[url])
        elif not pg_cached:
            subprocess.run(seed, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if cached and args.db == "sqlite":
                os.makedirs(args.seed_cache, exist_ok=True)
                shutil.copyfile(url, cached)
            elif args.seed_cache and args.db == "postgres":
                keep = f"CREATE DATABASE {pg_template} TEMPLATE {pg_db} STRATEGY FILE_COPY"
                subprocess.run(["psql", "-q", PG_ADMIN, "-c", keep], check=True, stdout=subprocess.DEVNULL)
        if pg_cached:
            settle_page_cache(evict=pg_database_files(pg_template), warm=pg_database_files(pg_db))
        args.seed_secs = time.perf_counter() - started
        log = open(os.path.join(work, "server.log"), "w")
        server = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{PORT}", "--database-url", url],
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
        conn = wait_ready()
        token = expect(*request(conn, "POST", "/api/v1/auth/login",
                                {"email": "admin@demo.rapport.test", "password": PASSWORD}), 200, "login")["access_token"]
        customers, division = setup(conn, token, args.customers, args.synthetic_customers)
        payloads = [batch_body(b, args.batch_size, customers, division, args.dates) for b in range(args.batches)]
        result = run(payloads, token, args.clients)
        rss = server_rss(server.pid)
        report(args, result, rss)
    finally:
        if server:
            server.terminate()
            server.wait()
        if args.db == "postgres":
            subprocess.run(["psql", "-q", PG_ADMIN, "-c", f"DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


def settle_page_cache(evict, warm):
    """Drops `evict` from the OS page cache and reads `warm` into it.

    A database copied from the seed cache (a file copy, or a PostgreSQL
    template) leaves both copies in the page cache, and on this machine's
    24 GiB the second pushed the first's hot pages out: the run then read
    from disk what a server that has been up a while holds in memory
    (docs/benchmarks.md, 2026-11-25 night). Best effort: files that cannot
    be read (permissions) are skipped.
    """
    for path in evict:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    for path in warm:
        try:
            with open(path, "rb", buffering=0) as f:
                while f.read(1 << 24):
                    pass
        except OSError:
            continue


def pg_database_files(name):
    """The files of PostgreSQL database `name` (local cluster, read as root)."""
    query = ("SELECT current_setting('data_directory') || '/base/' || oid FROM pg_database "
             f"WHERE datname = '{name}'")
    found = subprocess.run(["psql", "-Atq", PG_ADMIN, "-c", query], capture_output=True, text=True).stdout.strip()
    if not found or not os.path.isdir(found):
        return []
    return [os.path.join(found, f) for f in sorted(os.listdir(found))]


def pg_has_database(name):
    found = subprocess.run(["psql", "-Atq", PG_ADMIN, "-c", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                           capture_output=True, text=True, check=True).stdout.strip()
    return found == "1"


def wait_ready():
    for _ in range(600):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
            status, _ = request(conn, "GET", "/readyz")
            if status == 200:
                return conn
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit("server did not become ready")


def synthetic_customer_id(i):
    """rapport_customers::synthetic::customer_id"""
    return f"00000000-0000-7000-8000-{i:012d}"


def setup(conn, token, n_customers, n_synthetic):
    if n_synthetic:
        first = expect(*request(conn, "GET", f"/api/v1/customers/{synthetic_customer_id(0)}", token=token),
                       200, "synthetic customer")
        division = first["division_ids"][0]
        rng = random.Random(7)
        customers = [synthetic_customer_id(rng.randrange(n_synthetic)) for _ in range(max(n_customers, 10_000))]
    else:
        divisions = expect(*request(conn, "GET", "/api/v1/divisions?limit=1", token=token), 200, "divisions")["data"]
        division = divisions[0]["id"]
        customers = []
    for i in range(0 if n_synthetic else n_customers):
        body = {"kind": "person", "first_name": "Bulk", "last_name": f"Customer {i}", "division_ids": [division]}
        customers.append(expect(*request(conn, "POST", "/api/v1/customers", body, token), 201, "customer")["id"])
    for i, words in enumerate([["oil change", "service booking"], ["refund", "warranty claim"], ["price", "test drive"],
                               ["brake", "noise"], ["invoice"]]):
        category = expect(*request(conn, "POST", "/api/v1/interaction-categories",
                                   {"code": f"bench_{i}", "name": f"Bench {i}"}, token), 201, "category")["id"]
        for channel in [None, "call"]:
            rule = {"category_id": category, "keywords": words, "priority": 10 * i + (0 if channel else 5)}
            if channel:
                rule["channel"] = channel
            expect(*request(conn, "POST", "/api/v1/categorisation-rules", rule, token), 201, "rule")
    return customers, division


LIVE_START = time.time() - 86400


def occurred_at(rng, dates, batch):
    if dates == "backfill":
        return f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z"
    moment = LIVE_START + 60 * batch + rng.uniform(0, 60)
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def batch_body(batch, size, customers, division, dates):
    rng = random.Random(batch)
    items = []
    for i in range(size):
        items.append({
            "channel": rng.choice(CHANNELS),
            "direction": rng.choice(["inbound", "outbound"]),
            "customer_id": rng.choice(customers),
            "division_id": division,
            "subject": rng.choice(PHRASES).capitalize(),
            "summary": f"Customer called about {rng.choice(PHRASES)}; follow-up agreed.",
            "occurred_at": occurred_at(rng, dates, batch),
            "duration_seconds": rng.randint(10, 1800),
            "outcome": "answered",
            "external_source": "bench",
            "external_id": f"b{batch}-{i}",
        })
    return json.dumps({"items": items}).encode()


def run(payloads, token, clients):
    queue = list(enumerate(payloads))
    lock = threading.Lock()
    latencies, counts, failures = [], {"created": 0, "duplicate": 0, "invalid": 0}, []

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
        while True:
            with lock:
                if not queue:
                    return
                _, body = queue.pop(0)
            start = time.perf_counter()
            status, reply = request(conn, "POST", "/api/v1/interactions/bulk", body, token)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    failures.append((status, reply))
                    continue
                for key, field in [("created", "created"), ("duplicate", "duplicates"), ("invalid", "invalid")]:
                    counts[key] += reply[field]

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"wall": time.perf_counter() - start, "latencies": latencies, "counts": counts, "failures": failures}


def server_rss(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def report(args, result, rss):
    lat = sorted(result["latencies"])
    total = result["counts"]["created"]
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
    rev = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    scale = (f"{args.synthetic_customers} synthetic customers (+{args.synthetic_customers * 5} interactions, "
             f"seeded in {args.seed_secs:.0f}s)" if args.synthetic_customers else f"{args.customers} customers")
    print(f"\nrapport {rev}, {args.db}, {args.dates} dates, {args.batches} batches of {args.batch_size}, "
          f"{args.clients} clients, {scale}, {os.cpu_count()} cores, load average before: "
          f"{' '.join(open('/proc/loadavg').read().split()[:3])}\n")
    print("| db | interactions/s | batch p50 | batch p99 | batches | created | duplicate | invalid | server RSS |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.db} | {total / result['wall']:.0f} | {p(0.5):.0f} ms | {p(0.99):.0f} ms | {len(lat)} | "
          f"{total} | {result['counts']['duplicate']} | {result['counts']['invalid']} | {rss} MB |")
    if result["failures"]:
        print(f"\n{len(result['failures'])} batches failed, first: {result['failures'][0]}")
    expected = args.batches * args.batch_size
    if total != expected:
        print(f"\nWARNING: {total} of {expected} interactions created")
    print(f"mean batch: {statistics.mean(lat) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
