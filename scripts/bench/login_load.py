#!/usr/bin/env python3
"""Signs in at a steady rate for a fixed time against a local server.

Usage: login_load.py BASE_URL EMAIL PASSWORD RATE SECONDS
Prints one line: attempts, successes, failures, achieved rate. Bounded in
count and time; talks only to BASE_URL (a loopback address).
"""
import json
import sys
import threading
import time
import urllib.request


def main() -> None:
    base, email, password, rate, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
    if not base.startswith(("http://127.", "http://localhost")):
        sys.exit("refusing a non-loopback target")
    body = json.dumps({"email": email, "password": password}).encode()
    ok = failed = 0
    lock = threading.Lock()

    def one() -> None:
        nonlocal ok, failed
        req = urllib.request.Request(f"{base}/api/v1/auth/login", data=body, headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                res.read()
                good = res.status == 200
        except Exception:
            good = False
        with lock:
            if good:
                ok += 1
            else:
                failed += 1

    threads = []
    start = time.monotonic()
    total = int(rate * seconds)
    for i in range(total):
        target = start + i / rate
        delay = target - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        t = threading.Thread(target=one)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    print(f"logins attempted={total} ok={ok} failed={failed} rate={total / elapsed:.1f}/s")


if __name__ == "__main__":
    main()
