//! The time of one password hash as sign-up and a password change pay it:
//! `estate::auth::passwords::hash`, argon2id with the production parameters,
//! on the blocking pool of a tokio runtime. `make bench` builds it in the
//! release profile and in `release-hash-s` (the same without the argon2 and
//! blake2 opt-level overrides, root Cargo.toml) to show what they buy.
//! Alone: `BENCH_HASH_ITERATIONS=20 cargo bench -p estate --bench hash`.
//!
//! One untimed hash first, then BENCH_HASH_ITERATIONS (20 by default) timed
//! ones, each measured twice: wall-clock time, and the CPU time the process's
//! threads spent on it (the sum of /proc/self/task/*/schedstat), which a
//! busy machine inflates much less, since waiting for a core is not counted.
//! It prints the medians, and writes every sample as JSON to the file
//! BENCH_HASH_JSON names, if any.

use estate::auth::passwords;
use estate::domain::Password;
use serde_json::json;
use std::time::Instant;

/// Nanoseconds of CPU the process's threads have run, on Linux.
fn cpu_ns() -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let schedstat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    if n % 2 == 1 { samples[n / 2] } else { (samples[n / 2 - 1] + samples[n / 2]) / 2.0 }
}

fn main() {
    let iterations: usize =
        std::env::var("BENCH_HASH_ITERATIONS").map_or(20, |n| n.parse().expect("BENCH_HASH_ITERATIONS: a number"));
    assert!(iterations > 0, "BENCH_HASH_ITERATIONS must be at least 1");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let hash = || {
        let password = Password::parse("correct horse battery".into()).expect("a valid password");
        runtime.block_on(passwords::hash(password)).expect("a hash")
    };

    // The PHC string names the parameters the hash used: reported, so the
    // numbers say what they measured.
    let phc = hash();
    let params = phc.as_phc().split('$').nth(3).unwrap_or("?").to_owned();
    let (mut wall_ms, mut cpu_ms) = (Vec::with_capacity(iterations), Vec::with_capacity(iterations));
    for _ in 0..iterations {
        let (cpu_start, start) = (cpu_ns(), Instant::now());
        hash();
        wall_ms.push(start.elapsed().as_secs_f64() * 1e3);
        if let (Some(before), Some(after)) = (cpu_start, cpu_ns()) {
            cpu_ms.push(after.saturating_sub(before) as f64 / 1e6);
        }
    }
    let samples = json!({ "wall_ms": wall_ms, "cpu_ms": cpu_ms });
    let wall_median = median(&mut wall_ms);
    let cpu_median = (!cpu_ms.is_empty()).then(|| median(&mut cpu_ms));
    println!(
        "argon2id ({params}): median {wall_median:.2} ms per hash, {} ms of CPU ({iterations} hashes)",
        cpu_median.map_or("?".into(), |ms| format!("{ms:.2}"))
    );
    if let Ok(path) = std::env::var("BENCH_HASH_JSON") {
        let report = json!({ "params": params, "iterations": iterations, "samples": samples });
        std::fs::write(&path, format!("{report:#}\n")).unwrap_or_else(|e| panic!("writing {path}: {e}"));
    }
}
