"""Cold starts of the Lambda binaries against the local Runtime API
(runtime_api.py), each with one real event from events/.

For every cold start it measures, from the process's point of view:
  init       process start (just before exec) to its first /next poll
  first      the first invocation: event handed out to /response received
  warm       the same event again, in the same process
  cpu        CPU time of all its threads when the first answer arrives:
             the sum of /proc/PID/task/*/schedstat (nanoseconds), and
             utime+stime of /proc/PID/stat, kept in the JSON only: it
             counts clock ticks (10 ms), and a process that runs for less
             than a few ticks mostly reads 0 there
  peak_rss   VmHWM of /proc/PID/status after the second answer
and it fails unless both answers are the success the event expects.

The functions get the Lambda environment and, from this process's own
environment, only the settings they read (FUNCTION_SETTINGS). Before the
runs, `properties` is started once with a CA bundle that does not hold the
DynamoDB endpoint's CA: its DynamoDB call must then fail, which shows the
runs' TLS is really verified against the bench's CA.

Usage: coldstart.py --runs N --token JWT --wrong-ca BUNDLE --out FILE
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from runtime_api import Session

ROOT = Path(__file__).resolve().parents[2]
# The release builds; a smoke run (BENCH_BINARIES=target/debug) reuses the dev ones.
BINARIES = ROOT / os.environ.get("BENCH_BINARIES", "target/release")
LOGS = ROOT / "target" / "bench" / "logs"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# What each function reads from the environment (lib/src/config.rs, and the
# AWS SDK's settings); only users holds the private key.
FUNCTION_SETTINGS = ["TABLE_NAME", "MEDIA_BUCKET", "MEDIA_BASE_URL", "WEBHOOK_QUEUE_URL", "PUBLIC_BASE_URL",
                     "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "JWT_PUBLIC_KEY_PEM",
                     "AWS_CA_BUNDLE"]
TOKEN_PLACEHOLDER = "<paste an access token from POST /auth/token>"


def events(token: str) -> dict:
    """Binary -> (event, check of its answer)."""
    read = lambda name: (ROOT / "events" / name).read_bytes()
    http_ok = lambda answer: answer.get("statusCode") == 200
    return {
        "hello": (b"{}", http_ok),
        "users": (read("users/get-me.json"), http_ok),
        "properties": (read("properties/get-property.json"), http_ok),
        "rooms": (read("rooms/get-room.json"), http_ok),
        # A removed photo's files deleted: S3 calls, no DynamoDB; the answer is null.
        "media": (read("media/photo-removed.json"), lambda answer: answer is None),
        "authorizer": (read("authorizer/request.json").replace(TOKEN_PLACEHOLDER.encode(), token.encode()),
                       lambda answer: answer.get("isAuthorized") is True),
        # A delivery to an endpoint that does not exist: read, dropped, done.
        "webhooks": (read("webhooks/delivery.json"), lambda answer: answer == {"batchItemFailures": []}),
        # The hourly run: the daily digests due (none in the demo data), one Query.
        "notifications": (read("notifications/schedule.json"), lambda answer: answer == {"digests": 0}),
    }


def environment(binary: str, session: Session) -> dict:
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_LAMBDA_RUNTIME_API": session.address,
        "AWS_LAMBDA_FUNCTION_NAME": binary,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": "us-east-1",
        "RUST_LOG": "info",
    }
    names = FUNCTION_SETTINGS + (["JWT_PRIVATE_KEY_PEM"] if binary == "users" else [])
    env.update({name: os.environ[name] for name in names if name in os.environ})
    return env


def cpu_stat_ms(pid: int) -> float:
    # Fields 14 and 15 (utime, stime), counted after the ")" closing the name.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / CLOCK_TICKS


def schedstat_ms(pid: int) -> float:
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that just ended
    return total / 1e6


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def wait(invocation, process, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not invocation.done.wait(0.05):
        if process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited ({process.returncode}) before answering")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: no answer within {timeout} s")


def cold_start(binary: str, event: bytes, check, settings=None, log_name=None) -> dict:
    """One process's cold start; `settings` override its environment's."""
    session = Session(binary)
    sample = {}

    def at_first_answer(invocation):
        sample["cpu_stat_ms"] = cpu_stat_ms(process.pid)
        sample["cpu_schedstat_ms"] = schedstat_ms(process.pid)

    def at_second_answer(invocation):
        sample["peak_rss_kib"] = peak_rss_kib(process.pid)

    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{log_name or binary}.log"
    with open(log_path, "ab") as log:
        started_ns = time.monotonic_ns()
        process = subprocess.Popen([str(BINARIES / binary)], env={**environment(binary, session), **(settings or {})},
                                   stdout=log, stderr=subprocess.STDOUT)
    # Queued only now: the callbacks read `process`, and a fast function
    # can poll and answer before Popen has returned. A poll that comes
    # first waits for it; "first" counts from the hand-out, so it is the same.
    first = session.invoke(event, at_first_answer)
    try:
        wait(first, process, f"{binary}, first invocation")
        second = session.invoke(event, at_second_answer)
        wait(second, process, f"{binary}, second invocation")
    except RuntimeError as error:
        raise RuntimeError(f"{error}; init error: {session.init_error}; see {log_path}") from None
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        session.close()
    for invocation in (first, second):
        if invocation.error is not None or not check(invocation.answer):
            raise RuntimeError(f"{binary} did not succeed: {invocation.error or invocation.answer}")
    sample.update(
        init_ms=(session.first_poll_ns - started_ns) / 1e6,
        first_ms=(first.answered_ns - first.handed_out_ns) / 1e6,
        warm_ms=(second.answered_ns - second.handed_out_ns) / 1e6,
    )
    sample["answer"] = first.answer  # kept for the wrong-CA check
    return sample


def check_wrong_ca(event: bytes, bundle: str):
    """The properties function, trusting another CA, must not reach DynamoDB."""
    try:
        sample = cold_start("properties", event, lambda answer: True, {"AWS_CA_BUNDLE": bundle},
                            "properties-wrong-ca")
    except RuntimeError as error:
        raise RuntimeError(f"the wrong-CA check did not run: {error}") from None
    status = sample["answer"].get("statusCode")
    log = (LOGS / "properties-wrong-ca.log").read_text()
    if status == 200 or "invalid peer certificate" not in log:
        raise RuntimeError(f"trusting the wrong CA, properties answered {status} and its log does not show "
                           f"a refused certificate ({LOGS}/properties-wrong-ca.log): is TLS verified?")
    print(f"  wrong CA: properties answered {status}, its log says why: invalid peer certificate")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--token", required=True)
    parser.add_argument("--wrong-ca", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    cases = events(args.token)
    check_wrong_ca(cases["properties"][0], args.wrong_ca)
    report = {}
    for binary, (event, check) in cases.items():
        if not (BINARIES / binary).exists():
            print(f"  {binary:<11} not built in {BINARIES}: skipped")
            continue
        samples = []
        for _ in range(args.runs):
            sample = cold_start(binary, event, check)
            sample.pop("answer")
            samples.append(sample)
        medians = {key: statistics.median(s[key] for s in samples) for key in samples[0]}
        report[binary] = {"runs": args.runs, "median": medians, "samples": samples}
        print(f"  {binary:<11} init {medians['init_ms']:7.2f} ms  first {medians['first_ms']:7.2f} ms  "
              f"warm {medians['warm_ms']:6.2f} ms  cpu {medians['cpu_schedstat_ms']:7.2f} ms  "
              f"peak RSS {medians['peak_rss_kib'] / 1024:5.1f} MiB")
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as error:
        sys.exit(f"coldstart: {error}")
