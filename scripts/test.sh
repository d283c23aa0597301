#!/usr/bin/env bash
# Runs every check of the project: formatting, lints, and all the tests,
# including the DynamoDB adapter's against a local DynamoDB-API server
# (moto), which this script installs into .venv, starts on a free loopback
# port, and stops again however the run ends.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${VENV:-.venv}
bash scripts/tools.sh "$venv"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p target
"$venv/bin/python" scripts/dynamodb_server.py 127.0.0.1 "$port" >target/moto.log 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "the DynamoDB-API server did not start:"; cat target/moto.log; exit 1; }
export DYNAMODB_TEST_ENDPOINT="http://127.0.0.1:$port"
echo "==> DynamoDB-API server (moto) on $DYNAMODB_TEST_ENDPOINT"

echo "==> cargo fmt --check"
cargo fmt --all --check
echo "==> cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> cargo test"
cargo test --workspace --locked
