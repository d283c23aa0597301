#!/usr/bin/env bash
# Builds the seven arm64 Lambda packages with cargo-lambda:
#   target/lambda/{users,properties,rooms,authorizer,media,webhooks,notifications}/bootstrap.zip
# prints each one's size, and fails when one passes its budget (cold start
# grows with package size): 8 MiB each (notifications, which links the SES
# client, included), except media, 6 MiB: it alone links the image codecs,
# the part likeliest to grow, so it has a budget of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

functions=(users properties rooms authorizer media webhooks notifications)
# Budgets in MiB: the default, and the functions that have their own.
default_budget_mib=8
declare -A budget_mib=([media]=6)

bash scripts/tools.sh build
export PATH="$PWD/.venv/build/bin:$PATH"
rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu

packages=()
for function in "${functions[@]}"; do packages+=(--package "$function"); done
cargo lambda build --release --arm64 --output-format zip "${packages[@]}"

status=0
for function in "${functions[@]}"; do
    zip="target/lambda/$function/bootstrap.zip"
    size=$(stat -c %s "$zip")
    mib=${budget_mib[$function]:-$default_budget_mib}
    awk -v name="$function" -v size="$size" -v zip="$zip" 'BEGIN { printf "%-13s %8.2f MiB  %s\n", name, size / 1048576, zip }'
    if [ "$size" -gt $((mib * 1024 * 1024)) ]; then
        echo "  over the $mib MiB budget" >&2
        status=1
    fi
done
exit $status
