//! `cargo xtask stack`: the prerequisites of a local stack, then
//! `gridflock-stack` (services/stack), which builds, starts and watches
//! the processes and stops them on Ctrl-C.

use crate::prereq;
use crate::util::{Result, cargo, sh};

pub(crate) fn run(args: &[String]) -> Result {
    prereq::databases()?;
    prereq::prusa_slicer()?;
    // Load measurements want optimised services and an optimised client.
    let release = args.iter().any(|a| a == "--release" || a == "bench-reads");
    let mut cmd = cargo();
    cmd.args(["run", "-q", "-p", "gridflock-stack"]);
    if release {
        cmd.arg("--release");
    }
    cmd.arg("--");
    if release && !args.iter().any(|a| a == "--release") {
        cmd.arg("--release");
    }
    sh(cmd.args(args))
}
