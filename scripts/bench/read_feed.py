#!/usr/bin/env python3
"""Reads the whole change feed once, as an ERP mirror would, and times it.

Usage: read_feed.py BASE_URL TOKEN EXPECTED [ENTITY_TYPE]

Starts at the beginning (no `after`), asks for `limit=1000` and follows
`next_cursor` until `has_more` is false, over one persistent HTTP/1.1
connection. Checks the read: every answer is a 200, cursors strictly
increase, the filter is honoured, and exactly EXPECTED events arrive.
A page's time runs from sending the request to the last byte of the
answer: the server's work, while this client waits. Between pages the
client parses and checks the page (json.loads alone is ≈ 11 ms for 1000
events of ≈ 900 bytes), and the server waits. So two rates: the feed's,
events / the sum of page times, and this reader's, events / wall time.

Prints one tab-separated line: events, pages, wall seconds, the feed's
events/s, the reader's events/s, page p50 (ms), page p99 (ms), MB received.
Talks only to BASE_URL (a loopback address).
"""
import base64
import http.client
import json
import sys
import time
import urllib.parse


def position(cursor: str) -> tuple[int, int]:
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    tx, seq = raw.split(".")
    return int(tx), int(seq)


def percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


def main() -> None:
    base, token, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
    entity_type = sys.argv[4] if len(sys.argv) > 4 else None
    url = urllib.parse.urlsplit(base)
    if url.scheme != "http" or url.hostname not in ("127.0.0.1", "localhost"):
        sys.exit("refusing a non-loopback target")
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    cursor, last = None, (-1, -1)
    events = pages = received = 0
    page_secs: list[float] = []
    start = time.perf_counter()
    while True:
        query = {"limit": "1000"}
        if cursor is not None:
            query["after"] = cursor
        if entity_type:
            query["entity_type"] = entity_type
        sent = time.perf_counter()
        conn.request("GET", "/api/v1/events?" + urllib.parse.urlencode(query), headers=headers)
        res = conn.getresponse()
        body = res.read()
        page_secs.append(time.perf_counter() - sent)
        if res.status != 200:
            sys.exit(f"page {pages + 1}: HTTP {res.status}: {body[:500]!r}")
        feed = json.loads(body)
        for event in feed["data"]:
            here = position(event["cursor"])
            if here <= last:
                sys.exit(f"cursor {event['cursor']} {here} is not after {last}")
            if entity_type and event["entity_type"] != entity_type:
                sys.exit(f"filter {entity_type} returned a {event['entity_type']} event")
            last = here
        pages += 1
        events += len(feed["data"])
        received += len(body)
        cursor = feed["next_cursor"]
        if not feed["has_more"]:
            break
    wall = time.perf_counter() - start
    conn.close()
    if events != expected:
        sys.exit(f"read {events} events, expected {expected}")
    served = sum(page_secs)
    page_secs.sort()
    print(
        "\t".join(
            [
                str(events),
                str(pages),
                f"{wall:.2f}",
                f"{events / served:.0f}",
                f"{events / wall:.0f}",
                f"{percentile(page_secs, 0.50) * 1000:.1f}",
                f"{percentile(page_secs, 0.99) * 1000:.1f}",
                f"{received / 1e6:.0f}",
            ]
        )
    )


if __name__ == "__main__":
    main()
