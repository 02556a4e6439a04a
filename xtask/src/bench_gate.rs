//! The benchmark regression gate: instruction counts per named input, and
//! their comparison with a stored baseline.
//!
//! Wall time on shared CI agents swings by tens of percent from run to run,
//! so the gate counts instructions instead: `valgrind --tool=callgrind` runs
//! the `peak-mem` probe once per named input (plan, build every plate, write
//! binary STL, one thread) and its total `Ir` is the measure. Counts are
//! deterministic for a given binary, so a 20 % threshold has no noise to
//! absorb; the baseline must come from the same toolchain (the pipeline
//! downloads it from main's last successful run).

use crate::util::{Result, cargo, on_path, sh, target_dir};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Regressions above this many percent fail the gate unless told otherwise.
pub(crate) const DEFAULT_MAX_REGRESSION_PCT: f64 = 20.0;

/// Instruction counts of one run, as stored in the JSON the pipeline keeps.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct Counts {
    /// What was counted, so that a baseline from another tool is refused.
    pub(crate) measure: String,
    /// Named input → instructions executed by the whole probe process.
    pub(crate) inputs: BTreeMap<String, u64>,
}

/// `valgrind --tool=callgrind`, total `Ir`.
const MEASURE: &str = "callgrind-instructions";

/// How one input fared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Verdict {
    Ok,
    Improved,
    Regressed,
    /// Measured now, absent from the baseline (a new input).
    New,
    /// In the baseline, not measured now (an input was removed or renamed).
    Missing,
}

/// One row of the comparison table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) input: String,
    pub(crate) baseline: Option<u64>,
    pub(crate) current: Option<u64>,
    /// Percent change from the baseline (positive is slower).
    pub(crate) change_pct: Option<f64>,
    pub(crate) verdict: Verdict,
}

/// Compares `current` with `baseline`, input by input, in name order.
/// Regressions are increases strictly above `max_pct`; decreases of the same
/// size are reported as improvements (a hint to refresh expectations).
pub(crate) fn compare(baseline: &Counts, current: &Counts, max_pct: f64) -> Vec<Row> {
    let mut names: Vec<&String> = baseline
        .inputs
        .keys()
        .chain(current.inputs.keys())
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let b = baseline.inputs.get(name).copied();
            let c = current.inputs.get(name).copied();
            let change_pct = match (b, c) {
                (Some(b), Some(c)) if b > 0 => Some((c as f64 - b as f64) / b as f64 * 100.0),
                (Some(0), Some(c)) if c > 0 => Some(f64::INFINITY),
                (Some(_), Some(_)) => Some(0.0),
                _ => None,
            };
            let verdict = match (b, c, change_pct) {
                (None, _, _) => Verdict::New,
                (_, None, _) => Verdict::Missing,
                (_, _, Some(pct)) if pct > max_pct => Verdict::Regressed,
                (_, _, Some(pct)) if pct < -max_pct => Verdict::Improved,
                _ => Verdict::Ok,
            };
            Row {
                input: name.clone(),
                baseline: b,
                current: c,
                change_pct,
                verdict,
            }
        })
        .collect()
}

/// The comparison as a markdown table.
pub(crate) fn table(rows: &[Row], max_pct: f64) -> String {
    let count = |v: Option<u64>| v.map_or_else(|| "—".to_owned(), group_digits);
    let mut out = format!(
        "| input | baseline (instructions) | current (instructions) | change | verdict (limit +{max_pct}%) |\n|---|---:|---:|---:|---|\n"
    );
    for row in rows {
        let change = row
            .change_pct
            .map_or_else(|| "—".to_owned(), |p| format!("{p:+.2}%"));
        let verdict = match row.verdict {
            Verdict::Ok => "ok",
            Verdict::Improved => "improved",
            Verdict::Regressed => "REGRESSED",
            Verdict::New => "new (no baseline)",
            Verdict::Missing => "missing (not measured)",
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {change} | {verdict} |\n",
            row.input,
            count(row.baseline),
            count(row.current)
        ));
    }
    out
}

/// `1234567` → `1 234 567`, as in the README's tables.
fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn read_counts(path: &Path) -> Result<Counts> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let counts: Counts = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not an instruction-count file: {e}", path.display()))?;
    if counts.measure != MEASURE {
        return Err(format!(
            "{}: measures `{}`, expected `{MEASURE}`",
            path.display(),
            counts.measure
        ));
    }
    Ok(counts)
}

/// The `Ir` total of a callgrind output file (`summary:`, or `totals:` when
/// callgrind was stopped early).
pub(crate) fn callgrind_total(text: &str) -> Option<u64> {
    let find = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
    };
    find("summary:").or_else(|| find("totals:"))
}

/// Builds the `peak-mem` probe in the bench profile (the profile criterion
/// measures) and returns its path.
pub(crate) fn build_probe() -> Result<PathBuf> {
    sh(cargo().args([
        "build",
        "--profile",
        "bench",
        "-p",
        "gridflock-benches",
        "--bin",
        "peak-mem",
    ]))?;
    // The bench profile inherits from release and shares its directory.
    Ok(target_dir().join("release").join("peak-mem"))
}

/// Counts the instructions of one run of `input` under callgrind.
fn count_one(probe: &Path, input: &str, scratch: &Path) -> Result<u64> {
    let out_file = scratch.join(format!("callgrind.{input}.out"));
    let mut cmd = Command::new("valgrind");
    cmd.arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg("--quiet")
        .arg(probe)
        .arg(input);
    sh(&mut cmd)?;
    let text = std::fs::read_to_string(&out_file)
        .map_err(|e| format!("cannot read {}: {e}", out_file.display()))?;
    callgrind_total(&text)
        .ok_or_else(|| format!("{}: no `summary:` or `totals:` line", out_file.display()))
}

/// `cargo xtask bench instructions [--input NAME]… [--out FILE]`.
pub(crate) fn instructions(args: &[String], all_inputs: &[&str]) -> Result {
    let mut inputs: Vec<String> = Vec::new();
    let mut out = target_dir().join("bench-instructions.json");
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--input" => inputs.push(it.next().ok_or("--input needs a name")?.clone()),
            "--out" => out = PathBuf::from(it.next().ok_or("--out needs a file")?),
            other => return Err(format!("bench instructions: unknown argument `{other}`")),
        }
    }
    if inputs.is_empty() {
        inputs = all_inputs.iter().map(|s| (*s).to_owned()).collect();
    }
    if let Some(bad) = inputs.iter().find(|i| !all_inputs.contains(&i.as_str())) {
        return Err(format!(
            "unknown input `{bad}`; known: {}",
            all_inputs.join(", ")
        ));
    }
    if !on_path("valgrind") {
        return Err(
            "valgrind is not installed; install it with `sudo apt-get install -y valgrind`"
                .to_owned(),
        );
    }
    let probe = build_probe()?;
    let scratch = target_dir().join("callgrind");
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    let mut counts = Counts {
        measure: MEASURE.to_owned(),
        inputs: BTreeMap::new(),
    };
    let mut times = Vec::new();
    for input in &inputs {
        let start = Instant::now();
        let n = count_one(&probe, input, &scratch)?;
        times.push((input.clone(), start.elapsed().as_secs_f64()));
        counts.inputs.insert(input.clone(), n);
    }
    let text = serde_json::to_string_pretty(&counts)
        .map_err(|e| format!("cannot serialise the counts: {e}"))?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(&out, text + "\n")
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("\n| input | instructions | callgrind run (s) |\n|---|---:|---:|");
    for (input, secs) in &times {
        let n = counts.inputs.get(input).copied().unwrap_or_default();
        println!("| `{input}` | {} | {secs:.1} |", group_digits(n));
    }
    println!("\nwrote {}", out.display());
    Ok(())
}

/// `cargo xtask bench compare BASELINE CURRENT [--max-regression PCT]`:
/// prints the table and fails when an input regressed beyond the limit.
pub(crate) fn compare_files(args: &[String]) -> Result {
    let mut files = Vec::new();
    let mut max_pct = DEFAULT_MAX_REGRESSION_PCT;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--max-regression" {
            let value = it.next().ok_or("--max-regression needs a percentage")?;
            max_pct = value
                .trim_end_matches('%')
                .parse()
                .ok()
                .filter(|p: &f64| p.is_finite() && *p >= 0.0)
                .ok_or_else(|| format!("--max-regression: `{value}` is not a percentage"))?;
        } else {
            files.push(PathBuf::from(arg));
        }
    }
    let [baseline, current] = files.as_slice() else {
        return Err(
            "usage: cargo xtask bench compare BASELINE.json CURRENT.json [--max-regression PCT]"
                .to_owned(),
        );
    };
    let rows = compare(&read_counts(baseline)?, &read_counts(current)?, max_pct);
    print!("{}", table(&rows, max_pct));
    let regressed: Vec<&str> = rows
        .iter()
        .filter(|r| r.verdict == Verdict::Regressed)
        .map(|r| r.input.as_str())
        .collect();
    if regressed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "instruction count regressed by more than {max_pct}% for: {}",
            regressed.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, u64)]) -> Counts {
        Counts {
            measure: MEASURE.to_owned(),
            inputs: pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
        }
    }

    fn verdicts(rows: &[Row]) -> Vec<(&str, Verdict)> {
        rows.iter().map(|r| (r.input.as_str(), r.verdict)).collect()
    }

    #[test]
    fn regression_beyond_the_limit_fails_and_at_the_limit_passes() {
        let base = counts(&[("a", 1_000_000), ("b", 1_000_000), ("c", 1_000_000)]);
        let now = counts(&[("a", 1_200_000), ("b", 1_200_001), ("c", 1_050_000)]);
        let rows = compare(&base, &now, 20.0);
        assert_eq!(
            verdicts(&rows),
            [
                ("a", Verdict::Ok),
                ("b", Verdict::Regressed),
                ("c", Verdict::Ok)
            ]
        );
        let b = &rows[1];
        assert!(b.change_pct.is_some_and(|p| (p - 20.0001).abs() < 1e-9));
    }

    #[test]
    fn improvement_is_reported_not_failed() {
        let rows = compare(&counts(&[("a", 1000)]), &counts(&[("a", 700)]), 20.0);
        assert_eq!(verdicts(&rows), [("a", Verdict::Improved)]);
        assert!(rows[0].change_pct.is_some_and(|p| (p + 30.0).abs() < 1e-9));
    }

    #[test]
    fn new_and_missing_inputs_are_named() {
        let rows = compare(
            &counts(&[("gone", 10), ("kept", 10)]),
            &counts(&[("added", 10), ("kept", 10)]),
            20.0,
        );
        assert_eq!(
            verdicts(&rows),
            [
                ("added", Verdict::New),
                ("gone", Verdict::Missing),
                ("kept", Verdict::Ok)
            ]
        );
        let text = table(&rows, 20.0);
        assert!(
            text.contains("| `added` | — | 10 | — | new (no baseline) |"),
            "{text}"
        );
        assert!(
            text.contains("| `gone` | 10 | — | — | missing (not measured) |"),
            "{text}"
        );
    }

    #[test]
    fn zero_baseline_counts_as_regression() {
        let rows = compare(&counts(&[("a", 0)]), &counts(&[("a", 5)]), 20.0);
        assert_eq!(verdicts(&rows), [("a", Verdict::Regressed)]);
    }

    #[test]
    fn table_groups_digits() {
        let rows = compare(
            &counts(&[("a", 1_234_567)]),
            &counts(&[("a", 1_234_567)]),
            20.0,
        );
        assert!(table(&rows, 20.0).contains("| `a` | 1 234 567 | 1 234 567 | +0.00% | ok |"));
    }

    #[test]
    fn compare_files_fails_on_regression_and_refuses_other_measures() {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str, c: &Counts| {
            let path = dir.path().join(name);
            std::fs::write(&path, serde_json::to_string(c).expect("serialise")).expect("write");
            path.to_string_lossy().into_owned()
        };
        let base = write("base.json", &counts(&[("a", 100)]));
        let fine = write("fine.json", &counts(&[("a", 110)]));
        let slow = write("slow.json", &counts(&[("a", 130)]));
        assert!(compare_files(&[base.clone(), fine.clone()]).is_ok());
        let err = compare_files(&[base.clone(), slow.clone()]).expect_err("must fail");
        assert!(err.contains("for: a"), "{err}");
        assert!(
            compare_files(&[base.clone(), slow, "--max-regression".into(), "35".into()]).is_ok()
        );
        let mut other = counts(&[("a", 100)]);
        other.measure = "wall-ns".to_owned();
        let other = write("other.json", &other);
        let err = compare_files(&[other, fine]).expect_err("must refuse");
        assert!(err.contains("expected `callgrind-instructions`"), "{err}");
    }

    #[test]
    fn callgrind_summary_is_read() {
        let text = "version: 1\ncmd: peak-mem 84x84-IP-MAG\nevents: Ir\nfn=main\n1 5\nsummary: 123456789\ntotals: 123456789\n";
        assert_eq!(callgrind_total(text), Some(123_456_789));
        assert_eq!(callgrind_total("totals: 42\n"), Some(42));
        assert_eq!(callgrind_total("events: Ir\n"), None);
    }
}
