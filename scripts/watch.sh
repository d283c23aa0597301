#!/usr/bin/env bash
# Runs the Lambda functions locally with `cargo lambda watch`, the way API
# Gateway would route to them ([workspace.metadata.lambda.watch.router]),
# against a local DynamoDB-API server (moto) seeded with the demo data.
# Each function is its own process, so they share state through DynamoDB
# and one development key pair generated here (target/dev-keys).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

bash scripts/tools.sh dev build
export PATH="$PWD/.venv/build/bin:$PATH"

keys=target/dev-keys
if [ ! -f "$keys/private.pem" ]; then
    mkdir -p "$keys"
    openssl genpkey -algorithm ed25519 -out "$keys/private.pem"
    openssl pkey -in "$keys/private.pem" -pubout -out "$keys/public.pem"
fi
one_line() { awk 'BEGIN { ORS = "\\n" } { print }' "$1"; }

port=${DYNAMODB_PORT:-8000}
# A fixed port may be taken (DynamoDB Local uses 8000 too): moto would then
# fail while the port still answers, and the demo data would go elsewhere.
if port_open "$port"; then
    echo "127.0.0.1:$port is already in use; choose another with DYNAMODB_PORT" >&2
    exit 1
fi
.venv/dev/bin/python scripts/dynamodb_server.py 127.0.0.1 "$port" >target/watch-moto.log 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT

export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
export TABLE_NAME=real-estate-local STORE=dynamodb
# Photos: uploads are presigned for a bucket of the same server; no CDN here.
export MEDIA_BUCKET=real-estate-local-media MEDIA_BASE_URL="$AWS_ENDPOINT_URL/real-estate-local-media"
export JWT_PRIVATE_KEY_PEM="$(one_line "$keys/private.pem")" JWT_PUBLIC_KEY_PEM="$(one_line "$keys/public.pem")"
wait_for_port "$port" target/watch-moto.log "the DynamoDB-API server (moto)"
# The webhook delivery queue, on the same server: the users function queues
# an endpoint's waiting deliveries there when it is re-enabled (nothing
# consumes it here: `cargo lambda watch` serves the HTTP functions only).
WEBHOOK_QUEUE_URL=$(.venv/dev/bin/python - real-estate-local-webhook-deliveries <<'EOF'
import sys, boto3
print(boto3.client("sqs", region_name="us-east-1").create_queue(QueueName=sys.argv[1])["QueueUrl"])
EOF
)
export WEBHOOK_QUEUE_URL
# Every binary, as `cargo lambda watch` builds them (scripts/lib.sh): the
# functions then start without a build of their own.
build_binaries -q
target/debug/local --create-table --seed --no-serve

echo "==> cargo lambda watch: the API on http://127.0.0.1:9000 (demo password: demo password 1)"
env_flags=()
for name in AWS_ENDPOINT_URL AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY TABLE_NAME MEDIA_BUCKET MEDIA_BASE_URL WEBHOOK_QUEUE_URL JWT_PRIVATE_KEY_PEM JWT_PUBLIC_KEY_PEM; do
    env_flags+=(--env-var "$name=${!name}")
done
cargo lambda watch --invoke-address 127.0.0.1 --invoke-port 9000 "${env_flags[@]}"
