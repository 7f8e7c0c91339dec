"""An HTTP proxy on 127.0.0.1 that adds a fixed delay to every request it
forwards to moto, and counts them.

What `bench/aws-scale.sh` measures the import and the release through: AWS
in-region answers in ~10 ms, moto in anything from 1 ms to seconds, so the
proxy sleeps `--delay-ms` before forwarding each request and times moto's
answer apart (upstream time). Per operation it keeps the requests, the
upstream seconds (moto's own time) and the total seconds (delay + upstream +
the proxy itself), and moto's busy time (wall time with a request at
moto), served as JSON at `GET /proxy-stats` and cleared by
`POST /proxy-stats/reset` (neither is forwarded or counted).

Python's standard library only (ThreadingHTTPServer, http.client): moto
is serialised and answers a few hundred requests a second at most, well
within what a thread per connection can pass on, and nothing needs
building or installing. The operation is read the way AWS routes it: the
`X-Amz-Target` header (DynamoDB, SQS's JSON protocol), else `Action=` in a
form body (SNS), else "S3 <method>".

    python3 bench/latency_proxy.py --upstream http://127.0.0.1:PORT \\
        --delay-ms 10 --port-file target/proxy.port
"""

import argparse
import http.client
import json
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
}

_lock = threading.Lock()
_stats = {}
# moto's busy time: the wall time during which at least one forwarded
# request was waiting for moto's answer (moto serialises, so summed upstream
# times overlap and overstate it).
_busy = {"in_flight": 0, "since": 0.0, "seconds": 0.0}


def _upstream_started():
    with _lock:
        if _busy["in_flight"] == 0:
            _busy["since"] = time.perf_counter()
        _busy["in_flight"] += 1


def _upstream_done():
    with _lock:
        _busy["in_flight"] -= 1
        if _busy["in_flight"] == 0:
            _busy["seconds"] += time.perf_counter() - _busy["since"]


def _count(operation, upstream, total):
    with _lock:
        entry = _stats.setdefault(
            operation, {"requests": 0, "upstream_s": 0.0, "total_s": 0.0}
        )
        entry["requests"] += 1
        entry["upstream_s"] += upstream
        entry["total_s"] += total


def _operation(method, headers, body):
    target = headers.get("X-Amz-Target")
    if target:
        return target.split(".")[-1]
    if body and headers.get("Content-Type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        found = re.search(rb"(?:^|&)Action=([A-Za-z]+)", body)
        if found:
            return found.group(1).decode()
    return "S3 " + method


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None
    delay = 0.0
    _local = threading.local()

    def log_message(self, *args):
        pass

    def _connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(
                self.upstream.hostname, self.upstream.port, timeout=600
            )
            self._local.conn = conn
        return conn

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _stats(self):
        if self.command == "GET":
            with _lock:
                busy = _busy["seconds"]
                if _busy["in_flight"]:
                    busy += time.perf_counter() - _busy["since"]
                body = json.dumps(
                    {"operations": _stats, "moto_busy_s": busy}, sort_keys=True
                ).encode()
        else:
            with _lock:
                _stats.clear()
                _busy["seconds"] = 0.0
                _busy["since"] = time.perf_counter()
            body = b"{}"
        self._answer(200, body, [("Content-Type", "application/json")])

    def _forward(self):
        if self.path.startswith("/proxy-stats"):
            return self._stats()
        started = time.perf_counter()
        body = self._body()
        operation = _operation(self.command, self.headers, body)
        if self.path.startswith("/moto-api"):
            operation = "moto-api"
        else:
            time.sleep(self.delay)
        headers = {
            k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP
        }
        headers["Content-Length"] = str(len(body))
        sent = time.perf_counter()
        _upstream_started()
        try:
            response, answer = self._send(body, headers)
        finally:
            _upstream_done()
        upstream = time.perf_counter() - sent
        out = [
            (k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP
        ]
        self._answer(response.status, answer, out)
        _count(operation, upstream, time.perf_counter() - started)

    def _send(self, body, headers):
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                return response, response.read()
            except (http.client.HTTPException, OSError):
                # A kept-alive connection moto closed: once more on a new one.
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client closing its kept-alive connection is not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--delay-ms", type=float, default=10.0)
    parser.add_argument("--port-file", required=True)
    args = parser.parse_args()
    upstream = urllib.parse.urlparse(args.upstream)
    if upstream.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the proxy forwards to a server on this machine only")
    Proxy.upstream = upstream
    Proxy.delay = args.delay_ms / 1000.0
    server = Server(("127.0.0.1", 0), Proxy)
    with open(args.port_file, "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
