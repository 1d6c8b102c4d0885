"""Publishes `{"t": <µs since the epoch>, "n": <n>}` at a fixed rate over one
keep-alive connection, to `sseload serve` (hub format) or nchan (raw body).

    python3 publisher.py --url http://127.0.0.1:8080/topics/bench --format hub --rate 10 --seconds 20
"""

import argparse
import http.client
import json
import sys
import time
from urllib.parse import urlsplit


def body(fmt, n):
    payload = {"t": time.time_ns() // 1000, "n": n}
    if fmt == "hub":
        return json.dumps({"event": "tick", "data": payload})
    return json.dumps(payload)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--format", choices=["hub", "nchan"], required=True)
    ap.add_argument("--rate", type=float, default=10)
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()
    url = urlsplit(args.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    headers = {"Content-Type": "application/json"}
    total = int(args.rate * args.seconds)
    start = time.monotonic()
    failed = 0
    for n in range(total):
        at = start + n / args.rate
        delay = at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        conn.request("POST", url.path, body=body(args.format, n), headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status >= 300:
            failed += 1
    print(json.dumps({"published": total, "failed": failed}))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
