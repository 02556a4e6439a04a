//! Criterion benchmarks: plan + build + binary STL of a whole plate set,
//! single-threaded, for every named input in `gridflock_benches::INPUTS`.
//!
//! Run with `cargo bench -p gridflock-benches` (or `cargo xtask bench`, which
//! adds peak memory and prints a markdown table).

use criterion::{Criterion, criterion_group, criterion_main};
use gridflock_benches::{INPUTS, params, run};
use std::hint::black_box;
use std::time::Duration;

fn plate_sets(c: &mut Criterion) {
    let mut group = c.benchmark_group("plate_sets");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for name in INPUTS {
        let Some(p) = params(name) else { continue };
        group.bench_function(*name, |b| b.iter(|| run(black_box(&p))));
    }
    group.finish();
}

criterion_group!(benches, plate_sets);
criterion_main!(benches);
