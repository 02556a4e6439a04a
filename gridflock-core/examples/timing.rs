//! Rough timing and validity of whole plate sets (development aid).
use gridflock_core::*;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (w, h): (f64, f64) = (args[1].parse().unwrap(), args[2].parse().unwrap());
    let mut params = Params::new(w, h);
    params.printer = Printer::Profile { id: "bambu-a1".into() };
    params.magnets = if args.get(3).map(|s| s == "mag").unwrap_or(true) { Magnets::PressFit } else { Magnets::None };
    if args.get(4).map(|s| s == "ep").unwrap_or(false) { params.connector = Connector::EdgePuzzle; }
    let plan = plan(&params).unwrap();
    let t = std::time::Instant::now();
    let runs = 5;
    let mut tri = 0;
    for _ in 0..runs {
        tri = 0;
        for m in build(&plan) { tri += m.triangle_count(); std::hint::black_box(export::stl::binary(&m)); }
    }
    println!("{} plates, {} triangles, {:?} per set", plan.plates.len(), tri, t.elapsed() / runs);
    if let Some(dir) = args.get(5) {
        for (i, m) in build(&plan).iter().enumerate() {
            let r = mesh::check(m);
            println!("plate {} {:?}", i + 1, r.as_ref().map(|r| (r.triangles, r.components, r.volume_mm3)));
            std::fs::write(format!("{dir}/p{}.stl", i + 1), export::stl::binary(m)).unwrap();
        }
    }
}
