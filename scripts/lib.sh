# shellcheck shell=bash
# Helpers shared by the scripts that start a local server (test.sh,
# contract-checks.sh, watch.sh, try-it.sh), so each waits for it the same way.
# Source it from the repository root: . scripts/lib.sh

# build_binaries [CARGO ARGS...]: every binary of the workspace, in the dev
# profile unless ARGS say otherwise, with the features `cargo build
# --workspace` resolves. `cargo lambda watch` runs a function the same way
# (`cargo run --bin NAME` from the workspace root), so every step that runs
# a binary (the walkthrough, the contract checks, the bench, e2e and its
# `cargo lambda watch`) shares one build of the dependencies. One package
# alone (`cargo build -p local`) resolves other features (the local
# server's /docs turns on typenum's const-generics, which the AWS SDK's
# signing depends on) and would build the SDK again; `cargo test`'s build
# differs again by its dev-dependencies' features, and cannot be shared.
build_binaries() {
    cargo build --locked --workspace "$@"
}

# free_port: prints a loopback port that nothing listens on (the OS picks it).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# port_open PORT: succeeds when 127.0.0.1:PORT accepts a connection.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_for_port PORT LOGFILE [WHAT] [SECONDS]: waits up to SECONDS (10) for
# 127.0.0.1:PORT to accept connections; if it never does, prints LOGFILE and
# exits 1, so a server that failed to start is reported as such, not by the
# next step.
wait_for_port() {
    local port=$1 log=$2 what=${3:-the server} seconds=${4:-10}
    for _ in $(seq 1 $((seconds * 10))); do
        port_open "$port" && return 0
        sleep 0.1
    done
    echo "$what did not start on 127.0.0.1:$port within $seconds s; its log ($log):" >&2
    cat "$log" >&2 || true
    exit 1
}
