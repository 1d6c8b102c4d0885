"""The Locust side of the comparison: the SSE user of the LoadForge recipe
(`stream=True`, reading lines, JSON-decoding each `data:` line), holding one
stream of the demo clock and running the same check as sseload's scenario
(`$.ts > 0`) on every event.

    locust -f scripts/bench/locustfile.py --headless -u 1000 -r 200 -t 60s \
        --host http://127.0.0.1:8080

With SSE_BENCH_OUT set, the totals (events, checks passed, streams opened) are
written there as JSON when the run ends, so the harness can count exactly
what this process received and checked.
"""

import json
import os
import time

from locust import HttpUser, constant, events, task

TOTALS = {"events": 0, "checked": 0, "failed": 0, "streams": 0}
HOLD = float(os.environ.get("SSE_BENCH_HOLD", "3600"))


class SseUser(HttpUser):
    wait_time = constant(0)

    @task
    def hold_stream(self):
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        with self.client.get(
            "/clock", headers=headers, stream=True, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"SSE connection failed: {response.status_code}")
                return
            TOTALS["streams"] += 1
            start = time.time()
            for line in response.iter_lines(decode_unicode=True):
                if time.time() - start > HOLD:
                    break
                if line and line.startswith("data: "):
                    TOTALS["events"] += 1
                    data = json.loads(line[6:])
                    if data.get("ts", 0) > 0:
                        TOTALS["checked"] += 1
                    else:
                        TOTALS["failed"] += 1
            response.success()


@events.quitting.add_listener
def write_totals(environment, **_kwargs):
    out = os.environ.get("SSE_BENCH_OUT")
    if out:
        with open(out, "w") as f:
            json.dump(TOTALS, f)
