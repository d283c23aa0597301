#!/usr/bin/env bash
# Checks the contract, then the API against it on a fresh local server:
#   1. openapi-spec-validator: the committed openapi.json is a valid OpenAPI
#      document (against the OpenAPI 3.1 schema, every $ref resolving);
#      before any server starts, and an invalid document ends the run;
#   2. /docs in headless Chromium lists every operation of the contract
#      (and offers Authorize) with no network but loopback;
#   3. schemathesis fuzzes every operation from openapi.json, stateful links
#      included, with a registered user's token: no 5xx, no response outside
#      its schema, no undocumented status code.
# Chromium comes from Debian's package (installed when missing, as root);
# openapi-spec-validator from requirements-dev.txt in .venv/dev; schemathesis
# from requirements-fuzz.txt in .venv/fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

bash scripts/tools.sh dev fuzz
echo "==> openapi-spec-validator openapi.json"
.venv/dev/bin/openapi-spec-validator openapi.json ||
    { echo "contract-checks: openapi.json is not a valid OpenAPI document (above)" >&2; exit 1; }
if ! command -v chromium >/dev/null; then
    echo "==> installing Debian's chromium"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

build_binaries -q
port=$(free_port)
api="http://127.0.0.1:$port"
mkdir -p target
PORT=$port RUST_LOG=warn target/debug/local >target/contract-server.log 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true' EXIT
wait_for_port "$port" target/contract-server.log "the local API server"

echo "==> /docs in headless Chromium"
profile=$(mktemp -d)
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --virtual-time-budget=20000 --dump-dom "$api/docs/" >target/docs-dom.html 2>/dev/null
rm -rf "$profile"
python3 scripts/check_docs.py openapi.json target/docs-dom.html

# The checks the contract promises; schemathesis' stricter opinions
# (for example that any schema-valid body must succeed) are not part of it.
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance
fuzz() {
    .venv/fuzz/bin/schemathesis run "$api/openapi.json" --header "Authorization: Bearer $token" \
        --checks "$checks" \
        --max-examples "${FUZZ_EXAMPLES:-30}" --seed "${FUZZ_SEED:-20261122}" --workers 1 --no-color "$@"
}
token=$(python3 scripts/fuzz_user.py "$api")
echo "==> schemathesis: every operation but DELETE /users/me"
fuzz --exclude-operation-id delete_me --phases examples,coverage,fuzzing,stateful 2>&1 | tee target/schemathesis.log
# Last, as it ends the account whose token the runs use.
echo "==> schemathesis: DELETE /users/me"
fuzz --include-operation-id delete_me --phases examples,coverage,fuzzing 2>&1 | tee -a target/schemathesis.log
cases=$(grep -Eo '[0-9]+ generated' target/schemathesis.log | awk '{ total += $1 } END { print total }')
echo "schemathesis ran $cases test cases"
