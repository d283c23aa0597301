"""Puts the bench's parts together (target/bench/*.json and the arm64 zips)
into one table on stdout and target/bench/report.json.

It reports numbers, with their targets met or not; it fails only when a
part is missing or a server answered with an error.

Usage: report.py BENCH_DIR SETTINGS_JSON
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ["users", "properties", "rooms", "authorizer"]
# (key in coldstart.json, column title, unit divisor, format)
COLUMNS = [
    ("init_ms", "init ms", 1, "{:.1f}"),
    ("first_ms", "1st invoke ms", 1, "{:.1f}"),
    ("warm_ms", "warm invoke ms", 1, "{:.2f}"),
    ("cpu_schedstat_ms", "CPU to 1st answer ms", 1, "{:.1f}"),
    ("peak_rss_kib", "peak RSS MiB", 1024, "{:.1f}"),
]
# The local server's routes under wrk, each beside the bare axum handler's
# answer of the same shape (bench/bare-axum), with the share of the bare
# handler's requests/s the local server should reach:
# (route, local wrk file, bare route, bare wrk file, target ratio)
THROUGHPUT = [
    ("GET /properties/{id}", "property", "GET /properties/x", "bare-property", 0.70),
    ("GET /properties?city=", "city", "GET /properties", "bare-list", 0.50),
]


def zip_sizes() -> dict:
    sizes = {}
    for function in FUNCTIONS:
        path = ROOT / "target" / "lambda" / function / "bootstrap.zip"
        sizes[function] = path.stat().st_size if path.exists() else None
    return sizes


def table(rows: list[list[str]]) -> list[str]:
    """The first column left-aligned, the others right-aligned; a rule
    under the header row."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in
                       enumerate(zip(row, widths))) for row in rows]
    return [lines[0], "-" * len(lines[0]), *lines[1:]]


def throughput(wrk: dict, probe: dict) -> tuple[list[str], dict]:
    """The local server beside the bare handler: lines to print, and the
    same as JSON."""
    rows = [["route (local / bare)", "local req/s", "bare req/s", "ratio", "target", "",
             "local p50/p99 ms", "bare p50/p99 ms", "body bytes"]]
    report = {}
    for route, local, bare_route, bare, target in THROUGHPUT:
        ratio = wrk[local]["requests_per_s"] / wrk[bare]["requests_per_s"]
        met = ratio >= target
        rows.append([f"{route} / {bare_route}", f"{wrk[local]['requests_per_s']:.0f}",
                     f"{wrk[bare]['requests_per_s']:.0f}", f"{ratio:.0%}", f">= {target:.0%}",
                     "met" if met else "NOT MET",
                     f"{wrk[local]['latency_p50_ms']:.2f} / {wrk[local]['latency_p99_ms']:.2f}",
                     f"{wrk[bare]['latency_p50_ms']:.2f} / {wrk[bare]['latency_p99_ms']:.2f}",
                     f"{probe[local]['body_bytes']} / {probe[bare]['body_bytes']}"])
        report[route] = {"local_requests_per_s": wrk[local]["requests_per_s"],
                         "bare_route": bare_route, "bare_requests_per_s": wrk[bare]["requests_per_s"],
                         "ratio": ratio, "target_ratio": target, "met": met,
                         "body_bytes": {"local": probe[local]["body_bytes"], "bare": probe[bare]["body_bytes"]},
                         "keep_alive": {"local": probe[local]["keep_alive"], "bare": probe[bare]["keep_alive"]}}
    return table(rows), report


def cold_start_table(cold: dict, zips: dict) -> list[str]:
    base = cold["hello"]["median"]
    header = ["binary"] + [title for _, title, _, _ in COLUMNS] + ["arm64 zip MiB"]
    rows = [header]
    for binary, result in cold.items():
        median = result["median"]
        row = [binary]
        for key, _, divisor, fmt in COLUMNS:
            value = fmt.format(median[key] / divisor)
            ratio = f" ({median[key] / base[key]:.1f}x)" if base[key] else ""
            row.append(value if binary == "hello" else value + ratio)
        size = zips.get(binary)
        row.append("-" if size is None else f"{size / 1048576:.2f}")
        rows.append(row)
    return table(rows)


def main():
    out, settings = Path(sys.argv[1]), json.loads(sys.argv[2])
    cold = json.loads((out / "coldstart.json").read_text())
    routes = json.loads((out / "routes.json").read_text())
    names = [name for _, local, _, bare, _ in THROUGHPUT for name in (local, bare)]
    wrk = {name: json.loads((out / f"wrk-{name}.json").read_text()) for name in names}
    probe = json.loads((out / "probe.json").read_text())
    zips = zip_sizes()
    for name, result in wrk.items():
        if not result["requests"] or result["errors"]["status"]:
            sys.exit(f"wrk {name}: {result['errors']['status']} answers of {result['requests']} were not a success")

    runs = cold["hello"]["runs"]
    print(f"\nCold starts: medians of {runs} per binary, (Nx) = ratio to the hello-world lambda_runtime binary")
    print("\n".join(cold_start_table(cold, zips)))
    print(f"\nWarm latency per route, in process on the embedded store "
          f"({routes['iterations']} calls, {routes['hashing_iterations']} for argon2id routes)")
    for route in routes["routes"]:
        print(f"  {route['route']:<42} p50 {route['p50_us']:9.1f} µs   p99 {route['p99_us']:9.1f} µs")
    throughput_lines, throughput_report = throughput(wrk, probe)
    keep_alive = {name: "yes" if result["keep_alive"] else "NO, it closes each connection"
                  for name, result in probe.items()}
    print(f"\nThe local server (embedded store) beside a bare axum handler of fixed JSON (bench/bare-axum), "
          f"under wrk {settings['wrk']}; keep-alive: local {keep_alive['property']}, bare {keep_alive['bare-property']}")
    print("\n".join(throughput_lines))
    errors = {name: sum(result["errors"].values()) for name, result in wrk.items() if sum(result["errors"].values())}
    if errors:
        print("  wrk socket errors (connect, read, write, timeout): " +
              ", ".join(f"{name} {count}" for name, count in errors.items()))

    report = {
        "settings": settings,
        "cold_starts": {binary: {"median": result["median"], "ratio_to_hello": {
            key: result["median"][key] / cold["hello"]["median"][key] for key, *_ in COLUMNS
            if cold["hello"]["median"][key]}, "samples": result["samples"]} for binary, result in cold.items()},
        "arm64_zip_bytes": zips,
        "routes": routes,
        "wrk": {"GET /properties/{id}": wrk["property"], "GET /properties?city=": wrk["city"]},
        "wrk_bare_axum": {"GET /properties/x": wrk["bare-property"], "GET /properties": wrk["bare-list"]},
        "local_vs_bare_axum": throughput_report,
    }
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nEverything as JSON: {out / 'report.json'}")


if __name__ == "__main__":
    main()
