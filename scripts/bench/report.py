"""Puts the bench's parts together (target/bench/*.json and the arm64 zips)
into one table on stdout and target/bench/report.json.

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


def zip_sizes() -> dict:
    sizes = {}
    for function in FUNCTIONS:
        path = ROOT / "target" / "lambda" / function / "bootstrap.zip"
        sizes[function] = path.stat().st_size if path.exists() else None
    return sizes


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
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in
                       enumerate(zip(row, widths))) for row in rows]
    return [lines[0], "-" * len(lines[0]), *lines[1:]]


def main():
    out, settings = Path(sys.argv[1]), json.loads(sys.argv[2])
    cold = json.loads((out / "coldstart.json").read_text())
    routes = json.loads((out / "routes.json").read_text())
    wrk = {name: json.loads((out / f"wrk-{name}.json").read_text()) for name in ("property", "city")}
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
    print(f"\nLocal server throughput (wrk, {settings['wrk']}; one connection per request, the server closes each)")
    for name, route in (("property", "GET /properties/{id}"), ("city", "GET /properties?city=")):
        result = wrk[name]
        errors = sum(result["errors"].values())
        print(f"  {route:<24} {result['requests_per_s']:9.0f} req/s   p50 {result['latency_p50_ms']:.2f} ms   "
              f"p99 {result['latency_p99_ms']:.2f} ms   errors {errors}")

    report = {
        "settings": settings,
        "cold_starts": {binary: {"median": result["median"], "ratio_to_hello": {
            key: result["median"][key] / cold["hello"]["median"][key] for key, *_ in COLUMNS
            if cold["hello"]["median"][key]}, "samples": result["samples"]} for binary, result in cold.items()},
        "arm64_zip_bytes": zips,
        "routes": routes,
        "wrk": {"GET /properties/{id}": wrk["property"], "GET /properties?city=": wrk["city"]},
    }
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nEverything as JSON: {out / 'report.json'}")


if __name__ == "__main__":
    main()
