//! Runs one named benchmark input once and reports its peak memory.
//!
//! Usage: `peak-mem <INPUT>`; prints one line of `key=value` pairs:
//! `input`, `plates`, `triangles`, `stl_bytes`, `vm_hwm_kib` (the process's
//! resident-set high-water mark from `/proc/self/status`, Linux only).

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(name) = std::env::args().nth(1) else {
        eprintln!(
            "usage: peak-mem <INPUT>  (one of: {})",
            gridflock_benches::INPUTS.join(", ")
        );
        return ExitCode::from(2);
    };
    let Some(params) = gridflock_benches::params(&name) else {
        eprintln!(
            "error: unknown input `{name}`; known: {}",
            gridflock_benches::INPUTS.join(", ")
        );
        return ExitCode::from(2);
    };
    let summary = gridflock_benches::run(&params);
    let Some(hwm) = vm_hwm_kib() else {
        eprintln!("error: cannot read VmHWM from /proc/self/status");
        return ExitCode::FAILURE;
    };
    println!(
        "input={name} plates={} triangles={} stl_bytes={} vm_hwm_kib={hwm}",
        summary.plates, summary.triangles, summary.stl_bytes
    );
    ExitCode::SUCCESS
}

/// `VmHWM` of this process in KiB.
fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
