//! `gridflock batch`: many drawer sizes from a CSV file, on all cores.
//!
//! CSV columns: `width,height[,printer,connector,magnets]`. A header line is
//! recognised (first field not a number) and skipped; empty optional fields
//! fall back to the command-line options. Every row is validated before
//! anything is generated.

use crate::error::CliError;
use crate::options::{ConnectorArg, MagnetsArg, PlateOptions, connector, magnets, printer};
use crate::output::{Format, SetManifest, build_meshes, write_json, write_set};
use clap::ValueEnum;
use gridflock_core::Plan;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `gridflock batch`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// CSV file with the columns width,height[,printer,connector,magnets].
    #[arg(value_name = "SIZES.csv")]
    csv: PathBuf,
    /// Defaults for columns a row leaves empty, and options rows cannot set.
    #[command(flatten)]
    options: PlateOptions,
    /// Output directory: one sub-directory per row, plus manifest.json.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "stl")]
    format: Format,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
}

/// One CSV row, planned.
struct Job {
    line: u64,
    dir: String,
    plan: Plan,
}

#[derive(Serialize)]
struct BatchEntry {
    line: u64,
    dir: String,
    #[serde(flatten)]
    set: SetManifest,
}

#[derive(Serialize)]
struct BatchManifest {
    source: String,
    sets: Vec<BatchEntry>,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode, CliError> {
    let text = std::fs::read_to_string(&args.csv)
        .map_err(|e| CliError::new(format!("cannot read {}: {e}", args.csv.display())))?;
    let jobs = plan_rows(&text, &args.options, &args.csv)?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| CliError::new(format!("cannot create {}: {e}", args.out.display())))?;
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = args.threads {
        pool = pool.num_threads(usize::from(n));
    }
    let pool = pool
        .build()
        .map_err(|e| CliError::new(format!("cannot start worker threads: {e}")))?;
    let total_plates: usize = jobs.iter().map(|j| j.plan.plates.len()).sum();
    let bar = ProgressBar::new(total_plates as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} plates {elapsed_precise} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let results: Vec<Result<BatchEntry, CliError>> = pool.install(|| {
        jobs.par_iter()
            .map(|job| {
                let meshes = build_meshes(&job.plan, false);
                let set = write_set(&args.out.join(&job.dir), &job.plan, &meshes, args.format)?;
                bar.inc(meshes.len() as u64);
                Ok(BatchEntry {
                    line: job.line,
                    dir: job.dir.clone(),
                    set,
                })
            })
            .collect()
    });
    bar.finish_and_clear();
    let sets = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    let plates: usize = sets.iter().map(|s| s.set.plates.len()).sum();
    let count = sets.len();
    let manifest = BatchManifest {
        source: args.csv.display().to_string(),
        sets,
    };
    write_json(&args.out.join("manifest.json"), &manifest)?;
    println!(
        "{count} plate sets, {plates} plates written to {}",
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Parses and plans every row; the first bad row is the error.
fn plan_rows(text: &str, defaults: &PlateOptions, source: &Path) -> Result<Vec<Job>, CliError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut jobs = Vec::new();
    let mut used = BTreeSet::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| CliError::new(format!("{}: {e}", source.display())))?;
        let line = record.position().map_or(i as u64 + 1, |p| p.line());
        let at = |msg: String| CliError::new(format!("{} line {line}: {msg}", source.display()));
        let field = |k: usize| record.get(k).filter(|f| !f.is_empty());
        let Some(width) = field(0) else { continue };
        let width: f64 = match width.parse() {
            Ok(w) => w,
            Err(_) if jobs.is_empty() && used.is_empty() && i == 0 => continue, // header
            Err(_) => return Err(at(format!("width `{width}` is not a number"))),
        };
        let height: f64 = field(1)
            .ok_or_else(|| at("missing height".to_owned()))?
            .parse()
            .map_err(|_| {
                at(format!(
                    "height `{}` is not a number",
                    record.get(1).unwrap_or("")
                ))
            })?;
        if record.len() > 5 {
            return Err(at(format!("{} columns; expected at most 5", record.len())));
        }
        let mut params = defaults
            .params(width, height)
            .map_err(|e| at(e.to_string()))?;
        if let Some(p) = field(2) {
            params.printer = printer(p).map_err(|e| at(e.to_string()))?;
        }
        if let Some(c) = field(3) {
            let arg = ConnectorArg::from_str(c, true).map_err(|_| {
                at(format!(
                    "connector `{c}`: expected intersection, edge or none"
                ))
            })?;
            let fit = if arg == ConnectorArg::Intersection {
                defaults.fit
            } else {
                None
            };
            params.connector = connector(arg, fit).map_err(|e| at(e.to_string()))?;
        }
        if let Some(m) = field(4) {
            let arg = MagnetsArg::from_str(m, true).map_err(|_| {
                at(format!(
                    "magnets `{m}`: expected none, press-fit, glue-top or glue-bottom"
                ))
            })?;
            params.magnets = magnets(arg);
        }
        let plan =
            gridflock_core::plan(&params).map_err(|e| at(format!("invalid parameters: {e}")))?;
        let sku = gridflock_core::sku::sku(&plan.params);
        let mut dir = sku.clone();
        let mut n = 2;
        while !used.insert(dir.clone()) {
            dir = format!("{sku}-{n}");
            n += 1;
        }
        jobs.push(Job { line, dir, plan });
    }
    if jobs.is_empty() {
        return Err(CliError::new(format!(
            "{}: no sizes found",
            source.display()
        )));
    }
    Ok(jobs)
}
