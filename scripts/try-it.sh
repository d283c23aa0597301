#!/usr/bin/env bash
# Runs the README's "Try it" walkthrough as written, twice, on a fresh local
# server with the demo data set, so the walkthrough cannot drift from the API:
#   - the block is the first ```sh block after "## Try it" in README.md, taken
#     from the file itself; only its `API=http://127.0.0.1:3000` line is
#     pointed at the server's port (a free loopback one);
#   - it runs under `bash -euo pipefail` with curl wrapped to add
#     --fail-with-body, so any 4xx or 5xx, or a value it cannot capture,
#     fails the run;
#   - running it twice shows it leaves nothing behind (it deletes the account
#     it registers); afterwards every demo user still signs in with the
#     README's password and the sixteen demo listings for sale on the
#     market are all there, on the map too.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

build_binaries -q
mkdir -p target

# The block, and the README line it starts on (for error messages).
start=$(awk '/^## Try it$/ { section = 1; next }
             section && /^## / { exit }
             section && /^```sh$/ { print NR + 1; exit }' README.md)
[ -n "$start" ] || { echo "try-it: no \`\`\`sh block in the \"## Try it\" section of README.md" >&2; exit 1; }
block=$(awk -v start="$start" 'NR >= start { if (/^```$/) exit; print }' README.md)
grep -qx 'API=http://127.0.0.1:3000' <<<"$block" \
    || { echo "try-it: the walkthrough no longer sets API=http://127.0.0.1:3000" >&2; exit 1; }

port=$(free_port)
api="http://127.0.0.1:$port"
STORE=memory HOST=127.0.0.1 PORT=$port RUST_LOG=warn target/debug/local --seed >target/try-it-server.log 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true' EXIT
# Seeding hashes the demo passwords before the server listens.
wait_for_port "$port" target/try-it-server.log "the local server" 30

# The walkthrough as a script: a prelude of exactly `prelude_lines` lines,
# then the block with its API line pointed at this server.
prelude_lines=3
script=target/try-it-walkthrough.sh
{
    echo 'curl() { command curl --fail-with-body --show-error "$@" || return; }'
    echo "trap 'rc=\$?; echo \"try-it: failed (exit \$rc) near README.md line \$((LINENO - $prelude_lines + $start - 1)): \$(sed -n \"\${LINENO}p\" \"\$0\")\" >&2' ERR"
    echo '# --- the README block from here on ---'
    sed "s|^API=http://127.0.0.1:3000\$|API=$api|" <<<"$block"
} >"$script"

for run in 1 2; do
    echo "==> the README walkthrough, run $run, on $api"
    if ! bash -euo pipefail "$script" >"target/try-it-run$run.log" 2>&1; then
        cat "target/try-it-run$run.log" >&2
        echo >&2
        echo "try-it: FAIL: run $run of the README walkthrough (output above, server log in target/try-it-server.log)" >&2
        exit 1
    fi
done

# The demo data set is as the README describes it.
for email in camille@example.com jonas@example.com ines@example.com oskar@example.com; do
    curl -s --fail-with-body "$api/auth/token" -H 'content-type: application/json' \
        -d "{\"email\": \"$email\", \"password\": \"demo password 1\"}" >/dev/null \
        || { echo "try-it: FAIL: $email no longer signs in with \"demo password 1\"" >&2; exit 1; }
done
count=$(curl -s --fail-with-body "$api/properties?limit=100" \
    | python3 -c 'import json,sys; page = json.load(sys.stdin); print(len(page["items"]) if page["next_cursor"] is None else "more")')
[ "$count" = 16 ] || { echo "try-it: FAIL: the search holds $count listings for sale, not the sixteen demo ones" >&2; exit 1; }

# The map shows them: the walkthrough's nearest search, nearest first with
# distances; and the clusters of the world count each of the sixteen once.
curl -s --fail-with-body "$api/properties?near=48.8530,2.3499&radius_km=2" | python3 -c '
import json, sys
distances = [item["distance_m"] for item in json.load(sys.stdin)["items"]]
assert len(distances) >= 3 and distances == sorted(distances), distances' \
    || { echo "try-it: FAIL: the nearest search does not list demo listings nearest first" >&2; exit 1; }
clustered=$(curl -s --fail-with-body "$api/properties/clusters?bbox=-180,-90,180,90&precision=1" \
    | python3 -c 'import json,sys; print(sum(item["count"] for item in json.load(sys.stdin)["items"]))')
[ "$clustered" = 16 ] || { echo "try-it: FAIL: the clusters count $clustered listings for sale, not 16" >&2; exit 1; }

# The walkthrough's webhook receiver got every kind of change, signed; the
# burst of five price edits as one or two deliveries; and the endpoint's log
# showed the publication's two failed attempts and the third that succeeded.
for run in 1 2; do
    log="target/try-it-run$run.log"
    for type in published updated unpublished closed deleted; do
        grep -q "webhook: listing.$type .* signature ok -> answered 204" "$log" \
            || { echo "try-it: FAIL: run $run: the receiver got no signed listing.$type" >&2; exit 1; }
    done
    ! grep -q 'SIGNATURE WRONG' "$log" \
        || { echo "try-it: FAIL: run $run: a delivery's signature did not verify" >&2; exit 1; }
    burst=$(grep -c "webhook: listing.updated version [0-9]* \['price'\] signature ok" "$log" || true)
    [ "$burst" = 1 ] || [ "$burst" = 2 ] \
        || { echo "try-it: FAIL: run $run: five price edits reached the receiver as $burst deliveries" >&2; exit 1; }
    for attempt in '3 204' '2 500' '1 500'; do
        grep -q "listing.published attempt $attempt\$" "$log" \
            || { echo "try-it: FAIL: run $run: the delivery log shows no attempt $attempt" >&2; exit 1; }
    done
done

# Ada's inbox got one new_match and one price_drop, once each, each run.
for run in 1 2; do
    for event in new_match price_drop; do
        [ "$(grep -c "^$event " "target/try-it-run$run.log")" = 1 ] \
            || { echo "try-it: FAIL: run $run: not exactly one $event in Ada's inbox" >&2; exit 1; }
    done
done

echo "try-it: the README walkthrough ran twice"
