//! `gridflock plan`: the plate layout as an ASCII diagram or JSON.

use crate::error::CliError;
use crate::options::{PlateOptions, mm, parse_size};
use crate::output::{size_text, um_to_mm};
use gridflock_core::{Plan, PlatePlan, Printer};
use serde::Serialize;
use std::process::ExitCode;

/// Arguments of `gridflock plan`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Drawer size in mm, width x depth, e.g. 450x320.
    #[arg(value_name = "WxH", value_parser = parse_size)]
    size: (f64, f64),
    #[command(flatten)]
    options: PlateOptions,
    /// Print the plan as JSON instead of a diagram.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct PlanJson<'a> {
    sku: String,
    plan_hash: String,
    plan: &'a Plan,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode, CliError> {
    let params = args.options.params(args.size.0, args.size.1)?;
    let plan = gridflock_core::plan(&params)?;
    if args.json {
        let json = PlanJson {
            sku: gridflock_core::sku::sku(&plan.params),
            plan_hash: crate::output::plan_hash(&plan),
            plan: &plan,
        };
        let text = serde_json::to_string_pretty(&json)
            .map_err(|e| CliError::new(format!("cannot encode the plan: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", describe(&plan));
    }
    Ok(ExitCode::SUCCESS)
}

/// Summary line, diagram and plate table.
pub(crate) fn describe(plan: &Plan) -> String {
    let printer = match &plan.params.printer {
        Printer::Profile { id } => {
            gridflock_core::printers::find(id).map_or_else(|| id.clone(), |p| p.name.to_owned())
        }
        Printer::Custom { .. } => "custom bed".to_owned(),
    };
    let mut out = format!(
        "{} ({}): {} on {} ({} bed), {} plate{}\n\n",
        gridflock_core::sku::sku(&plan.params),
        crate::output::plan_hash(plan),
        size_text(plan.size_um.map(um_to_mm)),
        printer,
        size_text(plan.bed_um.map(um_to_mm)),
        plan.plates.len(),
        if plan.plates.len() == 1 { "" } else { "s" },
    );
    out.push_str(&diagram(plan));
    out.push('\n');
    out.push_str("plate  col  row  size (mm)        on the bed (mm)\n");
    for p in &plan.plates {
        let [w, h] = p.size_um.map(um_to_mm);
        let [bw, bh] = p.extent_um().map(um_to_mm);
        let size = format!("{} x {}", mm(w), mm(h));
        let extent = format!("{} x {}", mm(bw), mm(bh));
        out.push_str(&format!(
            "{:>5}  {:>3}  {:>3}  {size:<15}  {extent}\n",
            p.number, p.column, p.row,
        ));
    }
    out
}

/// Draws every plate's nominal footprint to scale, north up, with its number
/// and size inside.
pub(crate) fn diagram(plan: &Plan) -> String {
    const TARGET_WIDTH: f64 = 72.0;
    let [total_w, total_h] = plan.size_um.map(|v| v.max(1) as f64);
    // Characters per µm: fit the target width, but give every plate room for
    // its labels (a character cell is about twice as tall as it is wide).
    let mut sx = TARGET_WIDTH / total_w;
    for p in &plan.plates {
        let label = label_width(p) as f64 + 3.0;
        sx = sx.max(label / p.size_um[0].max(1) as f64);
        sx = sx.max(2.0 * 4.0 / p.size_um[1].max(1) as f64);
    }
    let sy = sx / 2.0;
    let cols = (total_w * sx).round() as usize + 1;
    let rows = (total_h * sy).round() as usize + 1;
    let mut canvas = vec![vec![' '; cols]; rows];
    // Canvas row 0 is north; plan y grows to the north.
    let to_col = |x: i64| ((x as f64 * sx).round() as usize).min(cols - 1);
    let to_row = |y: i64| rows - 1 - ((y as f64 * sy).round() as usize).min(rows - 1);
    for p in &plan.plates {
        let (c0, c1) = (
            to_col(p.origin_um[0]),
            to_col(p.origin_um[0] + p.size_um[0]),
        );
        let (r0, r1) = (
            to_row(p.origin_um[1] + p.size_um[1]),
            to_row(p.origin_um[1]),
        );
        for row in [r0, r1] {
            for cell in &mut canvas[row][c0..=c1] {
                *cell = if *cell == '|' || *cell == '+' {
                    '+'
                } else {
                    '-'
                };
            }
        }
        for line in canvas.iter_mut().take(r1 + 1).skip(r0) {
            for col in [c0, c1] {
                line[col] = if line[col] == '-' || line[col] == '+' {
                    '+'
                } else {
                    '|'
                };
            }
        }
        for (row, col) in [(r0, c0), (r0, c1), (r1, c0), (r1, c1)] {
            canvas[row][col] = '+';
        }
        let labels = [
            format!("#{}", p.number),
            format!(
                "{}x{}",
                mm(um_to_mm(p.size_um[0])),
                mm(um_to_mm(p.size_um[1]))
            ),
        ];
        let inner_w = c1.saturating_sub(c0 + 1);
        let mid = (r0 + r1) / 2;
        for (k, text) in labels.iter().enumerate() {
            let row = mid + k;
            if row >= r1 || text.len() > inner_w {
                continue;
            }
            let start = c0 + 1 + (inner_w - text.len()) / 2;
            for (i, ch) in text.chars().enumerate() {
                canvas[row][start + i] = ch;
            }
        }
    }
    let mut out = String::new();
    for line in canvas {
        let text: String = line.into_iter().collect();
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

fn label_width(p: &PlatePlan) -> usize {
    let size = format!(
        "{}x{}",
        mm(um_to_mm(p.size_um[0])),
        mm(um_to_mm(p.size_um[1]))
    );
    size.len().max(format!("#{}", p.number).len())
}
