#!/usr/bin/env bash
# Runs every check of the project, as CI does:
#   1. formatting, lints and all the tests, the DynamoDB ones against a local
#      DynamoDB-API server (moto) started on a free loopback port and stopped
#      again however the run ends;
#   2. the README's "Try it" walkthrough, run as written (scripts/try-it.sh);
#   3. the API against its contract: /docs in headless Chromium and
#      schemathesis fuzzing (scripts/contract-checks.sh);
#   4. the offline infrastructure checks (scripts/check-infra.sh);
#   5. the five arm64 Lambda packages within their size budgets
#      (scripts/build.sh), built in the background from the start (it needs
#      nothing the other steps make), and `sam build` of template.yaml;
#   6. the deployed shape run locally (scripts/e2e.sh, `make e2e`): sam local
#      start-api and invoke, running those arm64 packages under emulation
#      (which scripts/emulation.sh sets up), and cargo lambda watch. It needs
#      a Docker engine: skipped without one, except under CI=true, where it
#      always runs.
# The Python tools come pinned, each set in its own .venv/NAME.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

# Each step's header says how long the run has taken so far, so a slow
# step shows in CI's log (the target: the whole run within 30 minutes).
step() { echo "==> $1 (at $((SECONDS / 60))m$((SECONDS % 60))s)"; }

# A full disk fails whichever step meets it, with that step's own message:
# the log says up front how much there was.
echo "==> free disk space: $(df -h --output=avail . | tail -n 1 | tr -d ' ')"
bash scripts/tools.sh dev
mkdir -p target

# The arm64 release build is the longest step, and much of it runs on one
# core (each function's whole-program link): beside the steps below, which
# leave a core idle for long stretches (moto, the walkthrough, schemathesis
# and the infrastructure checks are single-threaded Python), it adds little
# to the run. It is waited for where its packages are first used; in its own
# process group, so that however the run ends, it ends too.
arm64_log=target/arm64-build.log
setsid bash scripts/build.sh >"$arm64_log" 2>&1 &
arm64_pid=$!
# Stops whatever of the background work has started, from here on.
stop_background() {
    [ -z "${moto_pid:-}" ] || kill "$moto_pid" 2>/dev/null || true
    kill -- "-$arm64_pid" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap stop_background EXIT
echo "==> arm64 Lambda packages building in the background ($arm64_log)"

port=$(free_port)
.venv/dev/bin/python scripts/dynamodb_server.py 127.0.0.1 "$port" >target/moto.log 2>&1 &
moto_pid=$!
wait_for_port "$port" target/moto.log "the DynamoDB-API server (moto)"
export DYNAMODB_TEST_ENDPOINT="http://127.0.0.1:$port"
# moto serves every service on the one port: the blob-store tests' S3 too.
export S3_TEST_ENDPOINT="$DYNAMODB_TEST_ENDPOINT"
echo "==> DynamoDB-API server (moto) on $DYNAMODB_TEST_ENDPOINT"

step "cargo fmt --check"
cargo fmt --all --check
step "cargo clippy"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
step "cargo test"
cargo test --workspace --all-features --locked -- --include-ignored 2>&1 | tee target/cargo-test.log
# The server is needed no longer.
kill "$moto_pid" 2>/dev/null || true

# Every binary the next steps run, built once for all of them
# (scripts/lib.sh says why they cannot share `cargo test`'s build).
step "dev builds of the binaries"
build_binaries

step "the README walkthrough"
bash scripts/try-it.sh

step "the API against its contract"
bash scripts/contract-checks.sh

step "infrastructure checks"
bash scripts/check-infra.sh

step "arm64 Lambda packages (waiting for the background build)"
arm64_status=0
wait "$arm64_pid" || arm64_status=$?
cat "$arm64_log"
[ "$arm64_status" = 0 ] || { echo "the arm64 build failed (exit $arm64_status)" >&2; exit 1; }
# The smoke run reuses the zips build.sh has just made.
step "bench smoke run"; BENCH_RUNS=2 BENCH_QUICK=1 BENCH_PACKAGES_BUILT=1 bash scripts/bench.sh

step "sam build"
PATH="$PWD/.venv/build/bin:$PATH" SAM_CLI_TELEMETRY=0 .venv/infra/bin/sam build --template-file template.yaml

if [ "${CI:-}" = true ] || docker info >/dev/null 2>&1; then
    step "make e2e"
    bash scripts/e2e.sh
else
    echo "==> make e2e skipped: no Docker engine answers 'docker info' (CI=true never skips it)"
fi

# One closing line for the whole run: the Rust tests' totals.
passed=$(grep -Eo '[0-9]+ passed' target/cargo-test.log | awk '{ total += $1 } END { print total + 0 }')
failed=$(grep -Eo '[0-9]+ failed' target/cargo-test.log | awk '{ total += $1 } END { print total + 0 }')
echo "make test took $((SECONDS / 60))m$((SECONDS % 60))s"
echo "tests: $passed passed, $failed failed"
