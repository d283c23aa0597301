#!/usr/bin/env bash
# `make bench`: a benchmark, not a test (nothing here has a time limit).
#   1. release builds of the seven functions, the hello-world baseline
#      (bench/hello), the local server and a bare axum handler
#      (bench/bare-axum); their arm64 zips (build.sh);
#   2. cold starts of each binary against a local Lambda Runtime API, each
#      with one real event from events/, reading DynamoDB (moto, seeded)
#      over TLS with a CA made for the run (scripts/bench/coldstart.py);
#   3. warm latency per route through the routers, in process, on the
#      embedded store (lib/benches/routes.rs);
#   4. what the argon2 and blake2 opt-level overrides buy: the time of one
#      password hash (lib/benches/hash.rs) and four arm64 zips, built in
#      release and in release-hash-s (root Cargo.toml), which lacks them;
#   5. the local server's throughput under wrk, with keep-alive, beside the
#      bare axum handler's on the same routes, in 5 rounds (the ratios'
#      median is reported).
# It prints one table and writes target/bench/report.json.
# Settings: BENCH_RUNS (cold starts per binary, 20) or --runs N; BENCH_QUICK=1
# or --quick for a smoke run (few route calls, short wrk runs, and the dev
# builds `make test` already has instead of a release build: it proves the
# bench works, its numbers mean nothing; nor does it build release-hash-s,
# so it shows no "before" of the overrides). BENCH_BEFORE=DIR: the same cold
# starts, in the same run, of the functions built elsewhere (DIR, say
# from the commit before a change that claims speed), against the same
# hello-world, written to target/bench/coldstart-before.json.
# BENCH_PACKAGES_BUILT=1 (scripts/test.sh sets it, right after build.sh):
# the arm64 zips in target/lambda/ are current, so they are used as
# they are instead of running build.sh again.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

runs=${BENCH_RUNS:-20}
quick=${BENCH_QUICK:-0}
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --quick) quick=1; shift ;;
        *) echo "usage: scripts/bench.sh [--runs N] [--quick]" >&2; exit 2 ;;
    esac
done
if [ "$quick" = 1 ]; then
    iterations=50 wrk_seconds=2 wrk_rounds=1 profile=dev hash_rounds=1 hash_batch=3
else
    iterations=1000 wrk_seconds=10 wrk_rounds=5 profile=release hash_rounds=5 hash_batch=4
fi
bin=target/$([ "$profile" = dev ] && echo debug || echo release)
export BENCH_BINARIES=$bin
# wrk speaks HTTP/1.1 and keeps its connections open unless a server closes
# them: nothing here may add a `Connection: close` header (probe.py checks
# what each server does).
wrk_flags="-t2 -c16 -d${wrk_seconds}s"

out=target/bench
rm -rf "$out"
mkdir -p "$out/logs"
# Everything started in the background is stopped however the run ends.
pids=()
stop_all() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
}
trap stop_all EXIT

bash scripts/tools.sh dev
for tool in wrk openssl; do
    if ! command -v "$tool" >/dev/null; then
        echo "==> installing Debian's $tool"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null
    fi
done

echo "==> $profile builds"
# Every binary, with the features every step of `make test` builds them
# with (scripts/lib.sh); the benches below (lib/benches) have those of
# `cargo test --workspace --all-features`, which a quick run shares.
build_binaries --profile "$profile"
if [ "${BENCH_PACKAGES_BUILT:-0}" = 1 ]; then
    echo "==> arm64 Lambda packages: built already (BENCH_PACKAGES_BUILT=1)"
    for function in users properties rooms media authorizer webhooks notifications; do
        [ -f "target/lambda/$function/bootstrap.zip" ] ||
            { echo "BENCH_PACKAGES_BUILT=1, but target/lambda/$function/bootstrap.zip is missing (scripts/build.sh makes it)" >&2; exit 1; }
    done
else
    echo "==> arm64 Lambda packages"
    bash scripts/build.sh
fi

echo "==> keys: a JWT key pair, and the DynamoDB endpoint's certificate chain"
keys=$out/keys
mkdir -p "$keys"
openssl genpkey -algorithm ed25519 -out "$keys/jwt-private.pem" 2>/dev/null
openssl pkey -in "$keys/jwt-private.pem" -pubout -out "$keys/jwt-public.pem"
# The shape of DynamoDB's own chain, whose cost the TLS handshake measures:
# RSA 2048 throughout, a leaf signed by an intermediate ("Amazon RSA 2048
# M0x") signed by a root ("Amazon Root CA 1"), the server sending both.
for ca in ca wrong-ca; do
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=real-estate bench $ca" \
        -keyout "$keys/$ca.key" -out "$keys/$ca.pem" 2>/dev/null
done
sign() { # NAME ISSUER EXTENSIONS: an RSA 2048 key and its certificate signed by ISSUER
    openssl req -newkey rsa:2048 -nodes -subj "/CN=real-estate bench $1" \
        -keyout "$keys/$1.key" -out "$keys/$1.csr" 2>/dev/null
    openssl x509 -req -in "$keys/$1.csr" -CA "$keys/$2.pem" -CAkey "$keys/$2.key" -CAcreateserial -days 1 \
        -extfile <(printf '%b' "$3") -out "$keys/$1.pem" 2>/dev/null
}
sign intermediate ca 'basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n'
sign server intermediate 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
cat "$keys/intermediate.pem" >>"$keys/server.pem"
# The functions trust the roots AWS_CA_BUNDLE names instead of Amazon's
# (lib/src/aws). Each bundle holds Amazon's five too, so loading it costs
# what loading them costs on Lambda.
for ca in ca wrong-ca; do
    { sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' lib/src/aws/amazon_trust_services.rs
      cat "$keys/$ca.pem"; } >"$keys/$ca-bundle.pem"
done

echo "==> DynamoDB (moto) behind a TLS proxy"
moto_port=$(free_port)
.venv/dev/bin/python scripts/dynamodb_server.py 127.0.0.1 "$moto_port" >"$out/logs/moto.log" 2>&1 &
pids+=("$!")
tls_port=$(free_port)
python3 scripts/bench/tls_proxy.py "$tls_port" "$moto_port" "$keys/server.pem" "$keys/server.key" \
    >"$out/logs/tls-proxy.log" 2>&1 &
pids+=("$!")
wait_for_port "$moto_port" "$out/logs/moto.log" "the DynamoDB-API server (moto)"
wait_for_port "$tls_port" "$out/logs/tls-proxy.log" "the TLS proxy"

export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench TABLE_NAME=real-estate-bench
# Photos: the bucket the media function's event cleans up (moto's S3).
export MEDIA_BUCKET=real-estate-bench-media MEDIA_BASE_URL=https://media.example.com
AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port" .venv/dev/bin/python -c \
    'import boto3, os; boto3.client("s3").create_bucket(Bucket=os.environ["MEDIA_BUCKET"])'
# The webhook delivery queue (moto's SQS); the webhooks function's event, a
# delivery to an endpoint that does not exist, only reads the table.
WEBHOOK_QUEUE_URL=$(AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port" .venv/dev/bin/python -c \
    'import boto3; print(boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="real-estate-bench-webhook-deliveries")["QueueUrl"])')
export WEBHOOK_QUEUE_URL
# The base of the alerts' links, which the notifications function requires.
export PUBLIC_BASE_URL=https://api.example.com
JWT_PRIVATE_KEY_PEM=$(cat "$keys/jwt-private.pem") JWT_PUBLIC_KEY_PEM=$(cat "$keys/jwt-public.pem")
export JWT_PRIVATE_KEY_PEM JWT_PUBLIC_KEY_PEM
moto="http://127.0.0.1:$moto_port"
# The demo data, then the ids the events address (fixtures.py says why).
STORE=dynamodb AWS_ENDPOINT_URL=$moto RUST_LOG=warn "$bin/local" --create-table --seed --no-serve
AWS_ENDPOINT_URL=$moto .venv/dev/bin/python scripts/bench/fixtures.py pin-ids
# An access token of the events' demo user, for the authorizer's event.
port=$(free_port)
STORE=dynamodb AWS_ENDPOINT_URL=$moto PORT=$port RUST_LOG=warn "$bin/local" >"$out/logs/local-dynamodb.log" 2>&1 &
local_pid=$!
pids+=("$local_pid")
wait_for_port "$port" "$out/logs/local-dynamodb.log" "the local server (DynamoDB)"
token=$(python3 scripts/bench/fixtures.py sign-in "http://127.0.0.1:$port" camille@example.com "demo password 1")
kill "$local_pid"

echo "==> cold starts ($runs per binary)"
AWS_ENDPOINT_URL="https://127.0.0.1:$tls_port" AWS_CA_BUNDLE="$keys/ca-bundle.pem" \
    python3 scripts/bench/coldstart.py --runs "$runs" --token "$token" --wrong-ca "$keys/wrong-ca-bundle.pem" \
    --out "$out/coldstart.json"
if [ -n "${BENCH_BEFORE:-}" ]; then
    echo "==> cold starts of the builds in $BENCH_BEFORE ($runs per binary)"
    cp "$bin/hello" "$BENCH_BEFORE/hello"
    BENCH_BINARIES=$BENCH_BEFORE AWS_ENDPOINT_URL="https://127.0.0.1:$tls_port" AWS_CA_BUNDLE="$keys/ca-bundle.pem" \
        python3 scripts/bench/coldstart.py --runs "$runs" --token "$token" --wrong-ca "$keys/wrong-ca-bundle.pem" \
        --out "$out/coldstart-before.json"
fi
stop_all

echo "==> warm latency per route, in process ($iterations calls each)"
BENCH_ITERATIONS=$iterations BENCH_ROUTES_JSON="$PWD/$out/routes.json" cargo bench -q --locked --profile "$profile" --workspace --all-features --bench routes >/dev/null

# The root Cargo.toml's release profile is optimised for size but gives
# argon2 and blake2 opt-level 3; release-hash-s is the same without those
# two overrides. Both are built and measured here, in the same run ("after"
# and "before" the overrides); a quick run has only its dev build's "after".
hash_builds=("after $profile")
if [ "$quick" = 1 ]; then
    echo "==> (quick run: no release-hash-s builds, so no hash time or zip sizes without the overrides)"
else
    hash_builds+=("before release-hash-s")
    echo "==> arm64 Lambda packages without the overrides (release-hash-s, into $out/lambda-hash-s)"
    bash scripts/tools.sh build
    rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
    # cargo lambda gives a --release build, and no other profile, the flags
    # of Lambda's arm64 CPU: given here too, so both builds differ only in
    # the profile (report.py compares the flags each build used).
    RUSTFLAGS="-C target-cpu=neoverse-n1" PATH="$PWD/.venv/build/bin:$PATH" \
        cargo lambda build --profile release-hash-s --arm64 --output-format zip --lambda-dir "$out/lambda-hash-s" \
        --package users --package properties --package rooms --package authorizer
fi
for build in "${hash_builds[@]}"; do
    read -r _ hash_profile <<<"$build"
    cargo bench -q --locked --no-run --profile "$hash_profile" --workspace --all-features --bench hash
done
# In rounds, the builds taking turns, so that both meet the same machine
# (other work on it slows a hash by half or more).
echo "==> password hashing: $hash_rounds round(s) of $hash_batch hashes per build"
mkdir -p "$out/hash"
for round in $(seq "$hash_rounds"); do
    for build in "${hash_builds[@]}"; do
        read -r side hash_profile <<<"$build"
        printf '  %-6s (%s) ' "$side" "$hash_profile"
        BENCH_HASH_ITERATIONS=$hash_batch BENCH_HASH_JSON="$PWD/$out/hash/$side-$round.json" \
            cargo bench -q --locked --profile "$hash_profile" --workspace --all-features --bench hash
    done
done

echo "==> the local server and a bare axum handler under wrk ($wrk_flags, $wrk_rounds round(s))"
port=$(free_port)
PORT=$port RUST_LOG=warn "$bin/local" >"$out/logs/local-memory.log" 2>&1 &
pids+=("$!")
wait_for_port "$port" "$out/logs/local-memory.log" "the local server"
api="http://127.0.0.1:$port"
bare_port=$(free_port)
PORT=$bare_port "$bin/bare-axum" >"$out/logs/bare-axum.log" 2>&1 &
pids+=("$!")
wait_for_port "$bare_port" "$out/logs/bare-axum.log" "the bare axum handler"
bare="http://127.0.0.1:$bare_port"
property=$(python3 scripts/bench/fixtures.py seed-local "$api" 25 Lyon)
python3 scripts/bench/probe.py "$out/probe.json" "property=$api/properties/$property" \
    "city=$api/properties?city=lyon" "bare-property=$bare/properties/x" "bare-list=$bare/properties"
# Each pair back to back, so both sides of a ratio see the same machine,
# in rounds: one pair's ratio moves by a tenth from one run to the next
# here, and the report gives the median of the rounds' ratios.
mkdir -p "$out/wrk"
for round in $(seq "$wrk_rounds"); do
    for run in "property $api/properties/$property" "bare-property $bare/properties/x" \
        "city $api/properties?city=lyon" "bare-list $bare/properties"; do
        read -r name url <<<"$run"
        # shellcheck disable=SC2086 # the flags are words
        wrk $wrk_flags -s scripts/bench/wrk_report.lua "$url" | tail -n 1 >"$out/wrk/$name-$round.json"
    done
done
stop_all

settings=$(printf '{"runs": %s, "quick": %s, "route_iterations": %s, "hash_rounds": %s, "hash_batch": %s, "wrk": "%s", "wrk_rounds": %s}' \
    "$runs" "$([ "$quick" = 1 ] && echo true || echo false)" "$iterations" "$hash_rounds" "$hash_batch" "$wrk_flags" "$wrk_rounds")
python3 scripts/bench/report.py "$out" "$settings"
