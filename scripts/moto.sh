#!/usr/bin/env bash
# Starts moto's AWS-protocol server on 127.0.0.1 for the AWS adapter tests,
# installing it first (pinned, into target/moto-venv) if need be.
#
#   source scripts/moto.sh     starts it for this shell and exports
#                              BATCHMSG_TEST_MOTO=http://127.0.0.1:PORT;
#                              it stops when the shell exits
#   bash scripts/moto.sh       the same, in the foreground, until Ctrl-C
MOTO_VERSION=5.2.5
moto_venv=${MOTO_VENV:-target/moto-venv}
# A venv where python3 has one; otherwise (Debian without python3-venv) a
# plain folder of packages on PYTHONPATH.
# scripts/moto_server.py is moto_server with cheaper DynamoDB transactions
# (see the file).
here=$(dirname "${BASH_SOURCE[0]}")
if [ -x "$moto_venv/bin/moto_server" ]; then
  moto_server=("$moto_venv/bin/python3" "$here/moto_server.py")
elif [ -f "$moto_venv/packages/moto/server.py" ]; then
  moto_server=(env "PYTHONPATH=$moto_venv/packages" python3 "$here/moto_server.py")
else
  echo "--- installing moto[server]==$MOTO_VERSION into $moto_venv" >&2
  rm -rf "$moto_venv"
  if python3 -m venv "$moto_venv" >/dev/null 2>&1; then
    "$moto_venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
    moto_server=("$moto_venv/bin/python3" "$here/moto_server.py")
  else
    rm -rf "$moto_venv"
    python3 -m pip install --quiet --disable-pip-version-check \
      --target "$moto_venv/packages" "moto[server]==$MOTO_VERSION"
    moto_server=(env "PYTHONPATH=$moto_venv/packages" python3 "$here/moto_server.py")
  fi
fi
moto_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p target
"${moto_server[@]}" -H 127.0.0.1 -p "$moto_port" >target/moto.log 2>&1 &
moto_pid=$!
export BATCHMSG_TEST_MOTO="http://127.0.0.1:$moto_port"
python3 - "$BATCHMSG_TEST_MOTO" <<'PY'
import sys, time, urllib.request
for _ in range(150):
    try:
        urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=1)
        sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit("moto_server did not answer within 30 s: see target/moto.log")
PY
echo "--- moto_server $MOTO_VERSION on $BATCHMSG_TEST_MOTO (pid $moto_pid)" >&2
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  echo "export BATCHMSG_TEST_MOTO=$BATCHMSG_TEST_MOTO   # in the shell that runs the tests" >&2
  wait "$moto_pid"
else
  trap 'kill "$moto_pid" 2>/dev/null' EXIT
fi
