#!/usr/bin/env bash
# Builds the four arm64 Lambda packages with cargo-lambda:
#   target/lambda/{users,properties,rooms,authorizer}/bootstrap.zip
# prints each one's size, and fails when one passes the 8 MiB budget (cold
# start grows with package size).
set -euo pipefail
cd "$(dirname "$0")/.."

functions=(users properties rooms authorizer)
budget=$((8 * 1024 * 1024))

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
    awk -v name="$function" -v size="$size" -v zip="$zip" 'BEGIN { printf "%-11s %8.2f MiB  %s\n", name, size / 1048576, zip }'
    if [ "$size" -gt "$budget" ]; then
        echo "  over the 8 MiB budget" >&2
        status=1
    fi
done
exit $status
