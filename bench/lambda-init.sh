#!/usr/bin/env bash
# Cold init of each real Lambda bootstrap: the time from exec to its first
# `GET /2018-06-01/runtime/invocation/next`, against a stub of the Lambda
# Runtime API on 127.0.0.1, and the number of other (AWS) requests it made
# before that (should be 0: init builds clients, it does not call them).
#
# The bootstraps are the x86_64 ones `bench/lambda-sizes.sh` builds (the
# arm64 ones cannot run on this machine). Every AWS endpoint
# (AWS_ENDPOINT_URL) points at the same stub, so any AWS request during init
# is seen and counted; credentials, region and the functions' variables are
# fake. The stub answers nothing to `next`: once it has arrived, the process
# is killed and the next run starts.
#
# The stub is Python's http.server inside this script: nothing to build, and
# its own latency (well under a millisecond to accept a loopback
# connection) only adds to what is measured.
#
#   bash bench/lambda-init.sh              20 runs of each function
#   RUNS=50 bash bench/lambda-init.sh
#   LAMBDA_DIR=path/to/lambda-x86_64 bash bench/lambda-init.sh
#
# Exits non-zero if a bootstrap is missing, exits before asking for an
# event, or makes any AWS request during init.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/lambda-build}
export LAMBDA_DIR=${LAMBDA_DIR:-$CARGO_TARGET_DIR/lambda-x86_64}
export RUNS=${RUNS:-20}
export FUNCTIONS=${FUNCTIONS:-validate wave send delivery-status sweep}
exec python3 - <<'PY'
import http.server
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

RUNTIME = "/2018-06-01/runtime/"
NEXT = RUNTIME + "invocation/next"

state = threading.Condition()
first_next = None  # perf_counter_ns of the first `next` of the current run
aws_requests = []  # (method, path) of every other request in the current run


class Stub(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_any(self):
        global first_next
        now = time.perf_counter_ns()
        if self.path.startswith(NEXT):
            with state:
                if first_next is None:
                    first_next = now
                state.notify_all()
            # No event is coming: the process is killed while it waits.
            time.sleep(5)
            return
        with state:
            aws_requests.append((self.command, self.path.split("?")[0]))
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        body = b'{"__type":"InitStub","message":"no AWS here"}'
        self.send_response(400)
        self.send_header("content-type", "application/x-amz-json-1.0")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = handle_any

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
server.daemon_threads = True
port = server.server_address[1]
threading.Thread(target=server.serve_forever, daemon=True).start()

# Fake values in the shape each variable takes; only the names matter to init.
env = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
    "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
    "AWS_REGION": "eu-west-2",
    "AWS_DEFAULT_REGION": "eu-west-2",
    "AWS_ACCESS_KEY_ID": "AKIAINITBENCHFAKE000",
    "AWS_SECRET_ACCESS_KEY": "init-bench-fake-secret",
    "AWS_SESSION_TOKEN": "init-bench-fake-token",
    # Never the instance metadata service (not loopback) for anything.
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_LOG_STREAM_NAME": "2026/12/06/[$LATEST]init-bench",
    "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
    "BATCHMSG_TABLE": "batchmsg-init-bench",
    "BATCHMSG_BUCKET": "batchmsg-init-bench",
    "BATCHMSG_SEND_QUEUE_URL": f"http://127.0.0.1:{port}/000000000000/batchmsg-send",
    "BATCHMSG_SENDER_ID": "NHSTrust",
    "BATCHMSG_SMS_RATE": "20",
    "BATCHMSG_SEND_CONCURRENCY": "4",
    "BATCHMSG_SEND_TIMEOUT_SECONDS": "300",
    "BATCHMSG_REQUEUE_AFTER_SECONDS": "10800",
    "BATCHMSG_RETENTION_DAYS": "90",
    "BATCHMSG_SCHEDULE_GROUP": "batchmsg-init-bench",
    "BATCHMSG_WAVE_FUNCTION_ARN": "arn:aws:lambda:eu-west-2:000000000000:function:wave",
    "BATCHMSG_SCHEDULER_ROLE_ARN": "arn:aws:iam::000000000000:role/scheduler",
    "RUST_LOG": "info",
}

lambda_dir = os.environ["LAMBDA_DIR"]
runs = int(os.environ["RUNS"])
functions = os.environ["FUNCTIONS"].split()
failed = False
rows = []


def one_run(function, bootstrap, log):
    global first_next, aws_requests
    with state:
        first_next = None
        aws_requests = []
    run_env = dict(env)
    run_env["AWS_LAMBDA_FUNCTION_NAME"] = function
    run_env["AWS_LAMBDA_LOG_GROUP_NAME"] = f"/aws/lambda/{function}"
    start = time.perf_counter_ns()
    proc = subprocess.Popen([bootstrap], env=run_env, stdout=log, stderr=log)
    try:
        give_up = time.monotonic() + 10
        with state:
            while first_next is None and proc.poll() is None and time.monotonic() < give_up:
                state.wait(0.05)
            reached, seen = first_next, list(aws_requests)
    finally:
        proc.kill()
        proc.wait()
    if reached is None:
        return None, seen
    return (reached - start) / 1e6, seen


print(f"stub on 127.0.0.1:{port}; {runs} runs each; bootstraps from {lambda_dir}", file=sys.stderr)
for function in functions:
    bootstrap = os.path.join(lambda_dir, function, "bootstrap")
    if not os.access(bootstrap, os.X_OK):
        print(f"{function}: no bootstrap at {bootstrap}; build it with "
              f"`ARCHS=x86_64 bash bench/lambda-sizes.sh`", file=sys.stderr)
        failed = True
        continue
    times, requests = [], []
    with tempfile.TemporaryFile() as log:
        for _ in range(runs):
            ms, seen = one_run(function, bootstrap, log)
            requests.extend(seen)
            if ms is None:
                log.seek(0)
                tail = log.read()[-2000:].decode(errors="replace")
                print(f"{function}: exited or hung before asking for an event:\n{tail}",
                      file=sys.stderr)
                failed = True
                break
            times.append(ms)
    if requests:
        failed = True
        print(f"{function}: AWS requests during init: {sorted(set(requests))}", file=sys.stderr)
    if times:
        rows.append((function, statistics.median(times), max(times), min(times),
                     len(times), len(requests)))

print(f"{'function':<16} {'median ms':>10} {'max ms':>8} {'min ms':>8} {'runs':>5} {'AWS requests':>13}")
for function, median, worst, best, n, aws in rows:
    print(f"{function:<16} {median:>10.1f} {worst:>8.1f} {best:>8.1f} {n:>5} {aws:>13}")
server.shutdown()
sys.exit(1 if failed else 0)
PY
