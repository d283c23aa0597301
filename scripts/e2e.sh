#!/usr/bin/env bash
# `make e2e`: the deployed shape, run locally, end to end.
#   1. `sam local start-api` on template.yaml (API Gateway's routes, the real
#      authorizer function in front, each function's handler and environment)
#      and the black-box suite scripts/e2e/suite.py against it;
#   2. `sam local invoke -e` with every file in events/ (scripts/e2e/invoke_events.py),
#      the stream, queue and schedule events of the webhooks and
#      notifications functions included;
#   3. the same suite against `cargo lambda watch`, as `make watch` runs it.
# Under `sam local` the functions are the arm64 packages that deploy
# (target/lambda/<function>/bootstrap.zip, as `make build` makes them,
# unzipped), in arm64 containers, under qemu (scripts/emulation.sh). SAM's
# Runtime Interface Emulator, which stands in for the Lambda service, runs
# natively (scripts/e2e/sam.py --host-emulator says why).
# Needs a Docker engine, no registry: the containers' arm64 base image is
# made here once from Debian's packages (debootstrap, then `docker build`
# from scratch) and reused; SAM adds the emulator. `cargo lambda watch`
# builds and runs the functions for this machine, in the dev profile.
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
base_image=${E2E_BASE_IMAGE:-estate-e2e-base-arm64:bookworm}
work=target/e2e
functions=(users properties rooms media authorizer webhooks notifications)
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
bash scripts/emulation.sh
export SAM_CLI_TELEMETRY=0

# The base image, once, in the background while the packages are checked:
# Debian's minimal arm64 root file system, built from scratch with its
# platform recorded (`docker import` would record this machine's).
make_base_image() {
    command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null \
        || { apt-get update -q >/dev/null && apt-get install -y -q debootstrap >/dev/null; }
    local context="$work/rootfs"
    rm -rf "$context" && mkdir -p "$context"
    debootstrap --arch arm64 --variant=minbase --include=ca-certificates bookworm "$context/root" \
        http://deb.debian.org/debian || return 1
    tar -C "$context/root" -cf "$context/root.tar" .
    printf 'FROM scratch\nADD root.tar /\n' >"$context/Dockerfile"
    docker build -q --platform linux/arm64 -t "$base_image" "$context" >/dev/null
    rm -rf "$context"
}
image_pid=
if ! docker image inspect "$base_image" >/dev/null 2>&1; then
    echo "==> base image $base_image (debootstrap --arch arm64, once; log: $work/debootstrap.log)"
    make_base_image >"$work/debootstrap.log" 2>&1 &
    image_pid=$!
    pids+=("$image_pid")
fi

echo "==> the shipped arm64 packages (target/lambda/<function>/bootstrap.zip)"
for function in "${functions[@]}"; do
    [ -f "target/lambda/$function/bootstrap.zip" ] || { bash scripts/build.sh; break; }
done
rm -rf "$work/sam" && mkdir -p "$work/sam"
for function in "${functions[@]}"; do
    name="$(tr '[:lower:]' '[:upper:]' <<<"${function:0:1}")${function:1}Function"
    unzip -q "target/lambda/$function/bootstrap.zip" -d "$work/sam/$name"
    # On an x86_64 machine an x86_64 binary would run too, emulator or
    # not: the ELF header must say AArch64 (e_machine 0xb7).
    header=$(od -An -tx1 -N20 "$work/sam/$name/bootstrap" | tr -d ' \n')
    [ "${header:0:8}" = 7f454c46 ] && [ "${header:36:4}" = b700 ] || {
        echo "target/lambda/$function/bootstrap.zip holds no arm64 executable (ELF header $header)" >&2
        exit 1
    }
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
# The dev builds of every binary, the local server's and those `cargo lambda
# watch` runs below (the same build: scripts/lib.sh).
build_binaries -q
STORE=dynamodb target/debug/local --create-table --no-serve
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
# The webhook delivery queue the webhooks and users functions send to.
WEBHOOK_QUEUE_URL=$(.venv/dev/bin/python - real-estate-e2e-webhook-deliveries <<'EOF'
import sys, boto3
print(boto3.client("sqs", region_name="us-east-1").create_queue(QueueName=sys.argv[1])["QueueUrl"])
EOF
)
export WEBHOOK_QUEUE_URL
# The alerts' sender, its domain verified on the same server's SES, as SES
# wants before it sends: the notifications function e-mails from it.
export ALERTS_FROM_ADDRESS=alerts@example.com
.venv/dev/bin/python - "${ALERTS_FROM_ADDRESS#*@}" <<'EOF'
import sys, boto3
boto3.client("ses", region_name="us-east-1").verify_domain_identity(Domain=sys.argv[1])
EOF
# The base of the alerts' links: sam local start-api's address (its port
# chosen now, so that env.json can name it).
api_port=$(free_port)
export PUBLIC_BASE_URL="http://127.0.0.1:$api_port"

cat >"$work/env.json" <<EOF
{"Parameters": {"TABLE_NAME": "$TABLE_NAME", "AWS_ENDPOINT_URL": "$endpoint",
  "MEDIA_BUCKET": "$MEDIA_BUCKET", "MEDIA_BASE_URL": "$MEDIA_BASE_URL",
  "WEBHOOK_QUEUE_URL": "$WEBHOOK_QUEUE_URL",
  "ALERTS_FROM_ADDRESS": "$ALERTS_FROM_ADDRESS", "PUBLIC_BASE_URL": "$PUBLIC_BASE_URL"}}
EOF
sam_flags=(
    --template-file "$work/sam/template.yaml"
    --env-vars "$work/env.json"
    --parameter-overrides Architecture=arm64 "JwtPublicKeyPem=\"$(cat "$keys/public.pem")\"" "JwtPrivateKeySecretArn=$secret_arn"
    --skip-pull-image --invoke-image "$base_image"
)
sam=(.venv/infra/bin/python scripts/e2e/sam.py --host-emulator)

echo "==> sam local start-api (the shipped arm64 packages, emulated)"
start "${sam[@]}" local start-api "${sam_flags[@]}" --host 127.0.0.1 --port "$api_port" \
    --warm-containers EAGER >"$work/start-api.log" 2>&1
api_pid=${pids[-1]}
wait_for_port "$api_port" "$work/start-api.log" "sam local start-api" 180
api="http://127.0.0.1:$api_port"
if $serve; then
    printf -v flags ' %q' "${sam_flags[@]}"
    echo "==> the API behind sam local start-api: $api (Ctrl-C stops everything)"
    echo "    sam local invoke with the same settings:"
    echo "    ${sam[*]} local invoke UsersFunction -e events/users/health.json$flags"
    wait "$api_pid"
    exit 0
fi
status=0
python3 scripts/e2e/suite.py --mode apigw "$api" || { status=1; tail -40 "$work/start-api.log" >&2; }

echo "==> sam local invoke -e events/... (the shipped arm64 packages, emulated)"
python3 scripts/e2e/invoke_events.py "$api" -- "${sam[@]}" local invoke "${sam_flags[@]}" || status=1

kill -- "-$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true

echo "==> cargo lambda watch"
# What it runs (`cargo run --bin NAME`) was built above, so that no request
# of the suite waits for a build.
watch_port=$(free_port)
PUBLIC_BASE_URL="http://127.0.0.1:$watch_port"
env_flags=()
one_line() { awk 'BEGIN { ORS = "\\n" } { print }' "$1"; }
export JWT_PRIVATE_KEY_PEM="$(one_line "$keys/private.pem")" JWT_PUBLIC_KEY_PEM="$(one_line "$keys/public.pem")"
for name in AWS_ENDPOINT_URL AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY TABLE_NAME MEDIA_BUCKET MEDIA_BASE_URL WEBHOOK_QUEUE_URL PUBLIC_BASE_URL JWT_PRIVATE_KEY_PEM JWT_PUBLIC_KEY_PEM; do
    env_flags+=(--env-var "$name=${!name}")
done
PATH="$PWD/.venv/build/bin:$PATH" start cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$watch_port" \
    "${env_flags[@]}" >"$work/watch.log" 2>&1
wait_for_port "$watch_port" "$work/watch.log" "cargo lambda watch" 120
# Each function starts on its first request, and its first store call may
# outlast the 3 s a call may take while the machine is busy (a 503): read
# through users and properties first, until both answer from the store.
for path in /users/00000000-0000-7000-8000-000000000000 /properties; do
    for _ in $(seq 30); do
        code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$watch_port$path" || true)
        [ "$code" = 404 ] || [ "$code" = 200 ] && break
        sleep 2
    done
done
python3 scripts/e2e/suite.py --mode watch "http://127.0.0.1:$watch_port" || { status=1; tail -40 "$work/watch.log" >&2; }

echo "e2e: $((SECONDS - started)) s"
exit $status
