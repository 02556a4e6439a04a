//! `cargo xtask bench`: criterion medians and peak memory, as a markdown table.

use crate::util::{Result, cargo, output, sh, target_dir};
use std::process::Command;

/// The named inputs of `benches/` (see `gridflock_benches::INPUTS`).
pub(crate) const INPUTS: &[&str] = &[
    "84x84-IP-MAG",
    "450x320-IP-MAG",
    "450x320-EP-NOMAG",
    "1000x600-IP-MAG",
];

pub(crate) fn run() -> Result {
    sh(cargo().args(["bench", "-p", "gridflock-benches", "--bench", "plate_sets"]))?;
    let peak_mem = crate::bench_gate::build_probe()?;
    let mut rows = Vec::new();
    for name in INPUTS {
        let median_ms = median_ns(name)? / 1e6;
        // One process per input: VmHWM is a per-process high-water mark.
        let line = output(Command::new(&peak_mem).arg(name))?;
        let field = |key: &str| -> String {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
                .unwrap_or("?")
                .to_owned()
        };
        let kib: f64 = field("vm_hwm_kib").parse().unwrap_or(f64::NAN);
        rows.push(format!(
            "| `{name}` | {} | {} | {median_ms:.1} | {:.1} |",
            field("plates"),
            field("triangles"),
            kib / 1024.0
        ));
    }
    println!("\n| input | plates | triangles | median plan+build+STL (ms) | peak memory (MiB) |");
    println!("|---|---:|---:|---:|---:|");
    for row in rows {
        println!("{row}");
    }
    Ok(())
}

/// Median of the last criterion run of `plate_sets/<name>`, in ns.
fn median_ns(name: &str) -> Result<f64> {
    let path = target_dir()
        .join("criterion")
        .join("plate_sets")
        .join(name)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let after = text
        .split_once("\"median\"")
        .map(|(_, rest)| rest)
        .ok_or_else(|| format!("{}: no median", path.display()))?;
    let value = after
        .split_once("\"point_estimate\":")
        .map(|(_, rest)| rest)
        .ok_or_else(|| format!("{}: no point estimate", path.display()))?;
    let number: String = value
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        .collect();
    number
        .parse()
        .map_err(|_| format!("{}: bad median `{number}`", path.display()))
}
