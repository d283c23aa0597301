#!/usr/bin/env bash
# `make e2e`: the deployed shape, run locally, end to end.
#   1. `sam local start-api` on template.yaml (API Gateway's routes, the real
#      authorizer function in front, each function's handler and environment)
#      and the black-box suite scripts/e2e/suite.py against it;
#   2. `sam local invoke -e` with every file in events/ (scripts/e2e/invoke_events.py);
#   3. the same suite against `cargo lambda watch`, as `make watch` runs it.
# Needs a Docker engine, no registry: the base image of the function
# containers is made here once from Debian's packages (debootstrap, then
# `docker import`) and reused; SAM adds the Lambda Runtime Interface
# Emulator it ships. The functions run as x86_64 (Architecture=x86_64),
# built in the dev profile, which `cargo test` has mostly built already.
# One DynamoDB-API and Secrets Manager server (moto) on the docker0 address
# serves the host and the containers. Everything started here is stopped
# however the run ends.
# `scripts/e2e.sh --serve` sets up the same and keeps `sam local start-api`
# running (until Ctrl-C) instead of testing, printing how to call it and
# how to `sam local invoke` with the same settings.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

serve=false
[ "${1:-}" = --serve ] && serve=true
base_image=${E2E_BASE_IMAGE:-estate-e2e-base:bookworm}
work=target/e2e
functions=(users properties rooms media authorizer)
started=$SECONDS
mkdir -p "$work"

pids=()
cleanup() {
    local status=$?
    for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    # The function containers sam started (labelled by it), if any remain.
    local left
    left=$(docker ps -aq --filter "label=sam.cli.container.type=lambda" 2>/dev/null || true)
    [ -z "$left" ] || docker rm -f $left >/dev/null 2>&1 || true
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Starts a command in its own process group (so all of it can be stopped).
start() { setsid "$@" & pids+=($!); }

docker info >/dev/null 2>&1 || { echo "make e2e needs a Docker engine: 'docker info' fails" >&2; exit 1; }
bash scripts/tools.sh dev infra build
export SAM_CLI_TELEMETRY=0

# The base image, once, in the background while the functions build.
make_base_image() {
    command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null \
        || { apt-get update -q >/dev/null && apt-get install -y -q debootstrap >/dev/null; }
    local rootfs="$work/rootfs"
    rm -rf "$rootfs"
    debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" http://deb.debian.org/debian \
        || return 1
    tar -C "$rootfs" -c . | docker import - "$base_image" >/dev/null
    rm -rf "$rootfs"
}
image_pid=
if ! docker image inspect "$base_image" >/dev/null 2>&1; then
    echo "==> base image $base_image (debootstrap, once; log: $work/debootstrap.log)"
    make_base_image >"$work/debootstrap.log" 2>&1 &
    image_pid=$!
    pids+=("$image_pid")
fi

echo "==> the functions (dev profile, x86_64)"
packages=()
for function in "${functions[@]}"; do packages+=(--package "$function"); done
cargo build --locked "${packages[@]}"
rm -rf "$work/sam" && mkdir -p "$work/sam"
for function in "${functions[@]}"; do
    name="$(tr '[:lower:]' '[:upper:]' <<<"${function:0:1}")${function:1}Function"
    mkdir -p "$work/sam/$name"
    ln -f "target/debug/$function" "$work/sam/$name/bootstrap"
done
.venv/infra/bin/python scripts/e2e/sam_template.py template.yaml "$work/sam"

if [ -n "$image_pid" ]; then
    wait "$image_pid" || { tail -20 "$work/debootstrap.log" >&2; echo "making $base_image failed" >&2; exit 1; }
fi

# Keys of this run only.
keys="$work/keys"
rm -rf "$keys" && mkdir -p "$keys"
openssl genpkey -algorithm ed25519 -out "$keys/private.pem" 2>/dev/null
openssl pkey -in "$keys/private.pem" -pubout -out "$keys/public.pem"

echo "==> DynamoDB-API and Secrets Manager server (moto)"
host=$(docker network inspect bridge -f '{{(index .IPAM.Config 0).Gateway}}' 2>/dev/null || true)
[ -n "$host" ] || host=$(ip -4 -o addr show docker0 | awk '{ split($4, a, "/"); print a[1] }')
moto_port=$(free_port)
start .venv/dev/bin/python scripts/dynamodb_server.py "$host" "$moto_port" >"$work/moto.log" 2>&1
for _ in $(seq 100); do (exec 3<>"/dev/tcp/$host/$moto_port") 2>/dev/null && break; sleep 0.1; done
(exec 3<>"/dev/tcp/$host/$moto_port") 2>/dev/null || { echo "moto did not start on $host:$moto_port:" >&2; cat "$work/moto.log" >&2; exit 1; }
endpoint="http://$host:$moto_port"
export AWS_ENDPOINT_URL=$endpoint AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
export TABLE_NAME=real-estate-e2e
# Photos: uploads are presigned for this bucket of the same server; no CDN here.
export MEDIA_BUCKET=real-estate-e2e-media MEDIA_BASE_URL="$endpoint/real-estate-e2e-media"
STORE=dynamodb cargo run -q --locked -p local -- --create-table --no-serve
# The signing key where the deployed users function reads it: Secrets Manager.
secret_arn=$(.venv/dev/bin/python - "$keys/private.pem" <<'EOF'
import sys, boto3
client = boto3.client("secretsmanager")
print(client.create_secret(Name="real-estate/e2e/jwt-private-key", SecretString=open(sys.argv[1]).read())["ARN"])
EOF
)

# The bucket the properties function presigns uploads for, and the media function reads.
.venv/dev/bin/python - "$MEDIA_BUCKET" <<'EOF'
import sys, boto3
boto3.client("s3").create_bucket(Bucket=sys.argv[1])
EOF

cat >"$work/env.json" <<EOF
{"Parameters": {"TABLE_NAME": "$TABLE_NAME", "AWS_ENDPOINT_URL": "$endpoint",
  "MEDIA_BUCKET": "$MEDIA_BUCKET", "MEDIA_BASE_URL": "$MEDIA_BASE_URL"}}
EOF
sam_flags=(
    --template-file "$work/sam/template.yaml"
    --env-vars "$work/env.json"
    --parameter-overrides Architecture=x86_64 "JwtPublicKeyPem=\"$(cat "$keys/public.pem")\"" "JwtPrivateKeySecretArn=$secret_arn"
    --skip-pull-image --invoke-image "$base_image"
)

echo "==> sam local start-api"
api_port=$(free_port)
start .venv/infra/bin/python scripts/e2e/sam.py local start-api "${sam_flags[@]}" --host 127.0.0.1 --port "$api_port" \
    --warm-containers EAGER >"$work/start-api.log" 2>&1
api_pid=${pids[-1]}
wait_for_port "$api_port" "$work/start-api.log" "sam local start-api" 180
api="http://127.0.0.1:$api_port"
if $serve; then
    printf -v flags ' %q' "${sam_flags[@]}"
    echo "==> the API behind sam local start-api: $api (Ctrl-C stops everything)"
    echo "    sam local invoke with the same settings:"
    echo "    .venv/infra/bin/python scripts/e2e/sam.py local invoke UsersFunction -e events/users/health.json$flags"
    wait "$api_pid"
    exit 0
fi
status=0
python3 scripts/e2e/suite.py --mode apigw "$api" || { status=1; tail -40 "$work/start-api.log" >&2; }

echo "==> sam local invoke -e events/..."
python3 scripts/e2e/invoke_events.py "$api" -- .venv/infra/bin/python scripts/e2e/sam.py local invoke "${sam_flags[@]}" || status=1

kill -- "-$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true

echo "==> cargo lambda watch"
watch_port=$(free_port)
env_flags=()
one_line() { awk 'BEGIN { ORS = "\\n" } { print }' "$1"; }
export JWT_PRIVATE_KEY_PEM="$(one_line "$keys/private.pem")" JWT_PUBLIC_KEY_PEM="$(one_line "$keys/public.pem")"
for name in AWS_ENDPOINT_URL AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY TABLE_NAME MEDIA_BUCKET MEDIA_BASE_URL JWT_PRIVATE_KEY_PEM JWT_PUBLIC_KEY_PEM; do
    env_flags+=(--env-var "$name=${!name}")
done
PATH="$PWD/.venv/build/bin:$PATH" start cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$watch_port" \
    "${env_flags[@]}" >"$work/watch.log" 2>&1
wait_for_port "$watch_port" "$work/watch.log" "cargo lambda watch" 120
python3 scripts/e2e/suite.py --mode watch "http://127.0.0.1:$watch_port" || { status=1; tail -40 "$work/watch.log" >&2; }

echo "e2e: $((SECONDS - started)) s"
exit $status
