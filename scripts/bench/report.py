"""Puts the bench's parts together (target/bench/*.json and the arm64 zips)
into one table on stdout and target/bench/report.json.

It reports numbers, with their targets met or not; it fails only when a
part is missing or a server answered with an error.

Usage: report.py BENCH_DIR SETTINGS_JSON
"""

import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ["users", "properties", "rooms", "media", "authorizer", "webhooks", "notifications"]
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


def zip_sizes(lambda_dir: Path) -> dict:
    sizes = {}
    for function in FUNCTIONS:
        path = lambda_dir / function / "bootstrap.zip"
        sizes[function] = path.stat().st_size if path.exists() else None
    return sizes


def table(rows: list[list[str]]) -> list[str]:
    """The first column left-aligned, the others right-aligned; a rule
    under the header row."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in
                       enumerate(zip(row, widths))) for row in rows]
    return [lines[0], "-" * len(lines[0]), *lines[1:]]


def hash_samples(out: Path, side: str) -> dict | None:
    """The samples of every round of one build of lib/benches/hash.rs
    (hash/after-N.json or hash/before-N.json), put together."""
    rounds = [json.loads(path.read_text()) for path in sorted((out / "hash").glob(f"{side}-*.json"))]
    if not rounds:
        return None
    return {"params": rounds[0]["params"], "rounds": len(rounds),
            "wall_ms": [ms for r in rounds for ms in r["samples"]["wall_ms"]],
            "cpu_ms": [ms for r in rounds for ms in r["samples"]["cpu_ms"]]}


def lambda_rustflags(profile: str) -> dict:
    """The flags each function's arm64 build used, from cargo's record of
    its last build in that profile (target/<triple>/<profile>/.fingerprint)."""
    flags = {}
    for function in FUNCTIONS:
        records = (ROOT / "target" / "aarch64-unknown-linux-gnu" / profile / ".fingerprint").glob(
            f"{function}-*/bin-{function}.json")
        newest = max(records, key=lambda path: path.stat().st_mtime, default=None)
        flags[function] = newest and " ".join(json.loads(newest.read_text()).get("rustflags", []))
    return flags


def throughput(wrk: dict, probe: dict) -> tuple[list[str], dict]:
    """The local server beside the bare handler, round by round (`wrk`
    holds each name's rounds): lines to print, and the same as JSON. A
    ratio is the median of the rounds' ratios, each of a pair run back to
    back; the requests/s and latencies are medians too."""
    rows = [["route (local / bare)", "local req/s", "bare req/s", "ratio", "rounds' range", "target", "",
             "local p50/p99 ms", "bare p50/p99 ms", "body bytes"]]
    report = {}
    for route, local, bare_route, bare, target in THROUGHPUT:
        ratios = [mine["requests_per_s"] / theirs["requests_per_s"] for mine, theirs in zip(wrk[local], wrk[bare])]
        ratio = statistics.median(ratios)
        met = ratio >= target
        median = {name: {key: statistics.median(result[key] for result in wrk[name])
                         for key in ("requests_per_s", "latency_p50_ms", "latency_p99_ms")} for name in (local, bare)}
        rows.append([f"{route} / {bare_route}", f"{median[local]['requests_per_s']:.0f}",
                     f"{median[bare]['requests_per_s']:.0f}", f"{ratio:.0%}",
                     f"{min(ratios):.0%}-{max(ratios):.0%}", f">= {target:.0%}", "met" if met else "NOT MET",
                     f"{median[local]['latency_p50_ms']:.2f} / {median[local]['latency_p99_ms']:.2f}",
                     f"{median[bare]['latency_p50_ms']:.2f} / {median[bare]['latency_p99_ms']:.2f}",
                     f"{probe[local]['body_bytes']} / {probe[bare]['body_bytes']}"])
        report[route] = {"local_requests_per_s": median[local]["requests_per_s"],
                         "bare_route": bare_route, "bare_requests_per_s": median[bare]["requests_per_s"],
                         "ratio": ratio, "round_ratios": ratios, "target_ratio": target, "met": met,
                         "body_bytes": {"local": probe[local]["body_bytes"], "bare": probe[bare]["body_bytes"]},
                         "keep_alive": {"local": probe[local]["keep_alive"], "bare": probe[bare]["keep_alive"]}}
    return table(rows), report


def overrides(out: Path, quick: bool, after_zips: dict) -> tuple[list[str], dict]:
    """The hash time and the zip sizes without the argon2/blake2 opt-level
    overrides (release-hash-s, "before") and with them (release, "after")."""
    after, before = hash_samples(out, "after"), hash_samples(out, "before")
    before_zips = zip_sizes(out / "lambda-hash-s")
    rows = [["", "before (opt \"s\")", "after (opt 3)", "after / before"]]
    hashes = {}
    for key, title, statistic in [("wall_ms", "argon2id hash, median ms", statistics.median),
                                  ("cpu_ms", "argon2id hash, median CPU ms", statistics.median),
                                  ("wall_ms", "argon2id hash, fastest ms", min)]:
        a = statistic(after[key]) if after and after[key] else None
        b = statistic(before[key]) if before and before[key] else None
        hashes[f"{statistic.__name__}_{key}"] = {"before": b, "after": a, "ratio": a / b if a and b else None}
        rows.append([title, "-" if b is None else f"{b:.2f}", "-" if a is None else f"{a:.2f}",
                     f"{a / b:.2f}x" if a and b else "-"])
    zips = {}
    for function in FUNCTIONS:
        b, a = before_zips[function], after_zips[function]
        zips[function] = {"before": b, "after": a}
        row = [f"{function} arm64 zip MiB", "-" if b is None else f"{b / 1048576:.3f}",
               "-" if a is None else f"{a / 1048576:.3f}", "-"]
        if a is not None and b is not None:
            row[3] = f"{a / b:.3f}x ({(a - b) / 1024:+.0f} KiB)"
        rows.append(row)
    lines = table(rows)
    if after:
        lines.append(f"  hashes: argon2id {after['params']}, {len(after['wall_ms'])} per build in "
                     f"{after['rounds']} round(s), the builds taking turns")
    flags = None
    if before:
        flags = {"before": lambda_rustflags("release-hash-s"), "after": lambda_rustflags("release")}
        if flags["before"] == flags["after"]:
            lines.append(f"  both arm64 builds used the same rustflags: {set(flags['after'].values())}")
        else:
            lines.append(f"  NOT LIKE FOR LIKE: the arm64 builds used different rustflags: {flags}")
    else:
        lines.append("  no before: " + ("a quick run builds no release-hash-s (only a full `make bench` does)"
                                        if quick else "no target/bench/hash/before-*.json"))
    if quick:
        lines.append("  quick run: the hash is a dev build's (argon2 and blake2 at opt-level 3, as in dev)")
    report = {"hash": {"params": after and after["params"], "statistics": hashes,
                       "samples": {"before": before, "after": after}},
              "arm64_zip_bytes": zips, "arm64_rustflags": flags, "before_built": bool(before)}
    return lines, report


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


# Issue 29: a map page costs at most twice a city page, warm, on the embedded store.
GEO_ROUTES = ("GET /properties?bbox=", "GET /properties?near=")
GEO_LIMIT = 2.0


def geo_against_city(routes):
    p50 = {route["route"]: route["p50_us"] for route in routes["routes"]}
    city = p50["GET /properties?city="]
    lines, report = [f"\nA map page against a city page (p50, in process; target <= {GEO_LIMIT:.0f}x)"], {}
    for route in GEO_ROUTES:
        ratio = p50[route] / city
        met = ratio <= GEO_LIMIT
        lines.append(f"  {route:<42} {ratio:5.2f}x the city page   {'met' if met else 'NOT MET'}")
        report[route] = {"ratio_to_city_p50": ratio, "target": GEO_LIMIT, "met": met}
    return lines, report


def main():
    out, settings = Path(sys.argv[1]), json.loads(sys.argv[2])
    cold = json.loads((out / "coldstart.json").read_text())
    routes = json.loads((out / "routes.json").read_text())
    names = [name for _, local, _, bare, _ in THROUGHPUT for name in (local, bare)]
    wrk = {name: [json.loads((out / "wrk" / f"{name}-{round}.json").read_text())
                  for round in range(1, settings["wrk_rounds"] + 1)] for name in names}
    probe = json.loads((out / "probe.json").read_text())
    zips = zip_sizes(ROOT / "target" / "lambda")
    for name, rounds in wrk.items():
        for result in rounds:
            if not result["requests"] or result["errors"]["status"]:
                sys.exit(f"wrk {name}: {result['errors']['status']} answers of {result['requests']} were not a success")

    runs = cold["hello"]["runs"]
    print(f"\nCold starts: medians of {runs} per binary, (Nx) = ratio to the hello-world lambda_runtime binary")
    print("\n".join(cold_start_table(cold, zips)))
    print(f"\nWarm latency per route, in process on the embedded store "
          f"({routes['iterations']} calls, {routes['hashing_iterations']} for argon2id routes)")
    for route in routes["routes"]:
        print(f"  {route['route']:<42} p50 {route['p50_us']:9.1f} µs   p99 {route['p99_us']:9.1f} µs")
    geo_lines, geo_report = geo_against_city(routes)
    print("\n".join(geo_lines))
    override_lines, override_report = overrides(out, settings["quick"], zips)
    print("\nWhat the argon2 and blake2 opt-level overrides buy: profile release-hash-s (before, the release "
          "profile's opt-level \"s\" for them too) against release (after, opt-level 3 for them)")
    print("\n".join(override_lines))
    throughput_lines, throughput_report = throughput(wrk, probe)
    keep_alive = {name: "yes" if result["keep_alive"] else "NO, it closes each connection"
                  for name, result in probe.items()}
    print(f"\nThe local server (embedded store) beside a bare axum handler of fixed JSON (bench/bare-axum), "
          f"under wrk {settings['wrk']}, {settings['wrk_rounds']} round(s); "
          f"keep-alive: local {keep_alive['property']}, bare {keep_alive['bare-property']}")
    print("\n".join(throughput_lines))
    errors = {name: sum(sum(result["errors"].values()) for result in rounds) for name, rounds in wrk.items()}
    errors = {name: count for name, count in errors.items() if count}
    if errors:
        print("  wrk socket errors (connect, read, write, timeout): " +
              ", ".join(f"{name} {count}" for name, count in errors.items()))

    report = {
        "settings": settings,
        "cold_starts": {binary: {"median": result["median"], "ratio_to_hello": {
            key: result["median"][key] / cold["hello"]["median"][key] for key, *_ in COLUMNS
            if cold["hello"]["median"][key]}, "samples": result["samples"]} for binary, result in cold.items()},
        "arm64_zip_bytes": zips,
        "hashing_overrides": override_report,
        "routes": routes,
        "geo_against_city": geo_report,
        "wrk": {"GET /properties/{id}": wrk["property"], "GET /properties?city=": wrk["city"]},
        "wrk_bare_axum": {"GET /properties/x": wrk["bare-property"], "GET /properties": wrk["bare-list"]},
        "local_vs_bare_axum": throughput_report,
    }
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nEverything as JSON: {out / 'report.json'}")


if __name__ == "__main__":
    main()
