"""The kernel's floor under a stream's per-event cost: N SSE streams read by
a loop that does nothing but epoll and recv.

    python3 floor_epoll.py URL STREAMS

Opens STREAMS plain-HTTP/1.1 GET requests to URL (one socket each, edge-
triggered epoll), then reads every ready socket once per readiness into a
64 KiB buffer (again only while a read fills it), until it is killed. Prints
`connected N` once every stream has had its first bytes. Its *system* CPU
time per event is what the kernel spends (epoll, recv, loopback TCP) for a
reader that reads each event with one `recv`, as every reader here does at
one event per second per stream; its user time is the interpreter's and is
not the point. `scripts/bench.sh locust` runs it beside sseload and Locust.
"""

import select
import socket
import sys
from urllib.parse import urlsplit


def open_streams(url, count):
    parts = urlsplit(url)
    request = (
        f"GET {parts.path or '/'} HTTP/1.1\r\nhost: {parts.netloc}\r\n"
        "accept: text/event-stream\r\n\r\n"
    ).encode()
    poller = select.epoll()
    socks = {}
    for _ in range(count):
        s = socket.create_connection((parts.hostname, parts.port or 80))
        s.sendall(request)
        s.setblocking(False)
        socks[s.fileno()] = s
        poller.register(s.fileno(), select.EPOLLIN | select.EPOLLET)
    return poller, socks


def read_ready(poller, socks, fresh):
    for fd, _ in poller.poll(1.0, 1024):
        sock = socks[fd]
        while True:  # edge-triggered: read until a short read
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                break
            if not data:
                raise SystemExit("the server closed a stream")
            if len(data) < 65536:
                break
        if fd in fresh:
            fresh.discard(fd)
            if not fresh:
                print(f"connected {len(socks)}", flush=True)


def main():
    url, count = sys.argv[1], int(sys.argv[2])
    poller, socks = open_streams(url, count)
    fresh = set(socks)
    while True:
        read_ready(poller, socks, fresh)


if __name__ == "__main__":
    main()
