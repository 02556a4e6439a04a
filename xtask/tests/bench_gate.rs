//! The benchmark gate for real: callgrind counts the smallest named input
//! once, and `bench compare` passes against itself and fails against a
//! baseline the count has outgrown. (The comparison rules themselves are unit
//! tests in `src/bench_gate.rs`.)

mod deployment_tools;

use deployment_tools::{Scratch, run, text, tool};
use std::process::Command;

const INPUT: &str = "84x84-IP-MAG";

fn xtask() -> Command {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
}

#[test]
fn instruction_count_of_the_smallest_input_and_the_gate() {
    // Fails, with the way to get it, when valgrind is missing.
    tool("valgrind", "apt-get install -y valgrind");
    let scratch = Scratch::new("bench-gate");
    let current = scratch.0.join("current.json");
    let out = run(xtask()
        .args(["bench", "instructions", "--input", INPUT, "--out"])
        .arg(&current));
    assert!(out.status.success(), "{}", text(&out));

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&current).expect("read counts"))
            .expect("counts are JSON");
    assert_eq!(json["measure"], "callgrind-instructions");
    let inputs = json["inputs"].as_object().expect("inputs");
    assert_eq!(inputs.len(), 1, "only the requested input: {json}");
    let count = inputs[INPUT].as_u64().expect("a count");
    // Plan, mesh and write one plate: tens of millions of instructions, not
    // a process that died at start-up, nor one stuck in a loop.
    assert!(
        (5_000_000..5_000_000_000).contains(&count),
        "implausible count {count}"
    );

    let same = run(xtask()
        .args(["bench", "compare"])
        .arg(&current)
        .arg(&current));
    assert!(same.status.success(), "{}", text(&same));
    assert!(text(&same).contains("| ok |"), "{}", text(&same));

    // A baseline 30 % below today's count: the gate must fail and say where.
    let baseline = scratch.0.join("baseline.json");
    let lower = serde_json::json!({
        "measure": "callgrind-instructions",
        "inputs": { INPUT: count * 10 / 13 },
    });
    std::fs::write(&baseline, lower.to_string()).expect("write baseline");
    let worse = run(xtask()
        .args(["bench", "compare"])
        .arg(&baseline)
        .arg(&current));
    assert!(!worse.status.success(), "{}", text(&worse));
    let report = text(&worse);
    assert!(report.contains("REGRESSED"), "{report}");
    assert!(report.contains(INPUT), "{report}");
}
