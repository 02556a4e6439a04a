//! Development aid: builds one plate of a JSON `Params` and reports the checker's verdict.
use gridflock_core::*;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let params: Params = serde_json::from_str(&std::fs::read_to_string(&args[1]).unwrap()).unwrap();
    let plan = plan(&params).unwrap();
    let n: usize = args[2].parse().unwrap();
    let p = &plan.plates[n - 1];
    println!(
        "plate {} cells {:?} {:?} size {:?} pad {:?} edges {:?}",
        p.number, p.cells_x, p.cells_y, p.size_um, p.padding_um, p.edges
    );
    for j in &p.joints {
        println!("  {:?}", j);
    }
    println!(
        "columns {:?} rows {:?}",
        &plan.columns_um[p.cells_x[0] as usize..p.cells_x[1] as usize],
        &plan.rows_um[p.cells_y[0] as usize..p.cells_y[1] as usize]
    );
    let m = build_plate(&plan, n - 1);
    let r = mesh::check(&m);
    println!("{:?}", r);
    if let Err(mesh::MeshError::DegenerateTriangle { triangle }) = r {
        let t = m.triangle(triangle);
        println!("{:?} {:?}", t, &m.indices[triangle * 3..triangle * 3 + 3]);
        near(&m, t[1], 0.05);
    }
    if let Err(
        mesh::MeshError::NonManifoldEdge { from, to, .. }
        | mesh::MeshError::OpenEdge { from, to, .. },
    ) = r
    {
        near(&m, m.vertex(from), 0.02);
        near(&m, m.vertex(to), 0.02);
        for t in 0..m.triangle_count() {
            let i = &m.indices[t * 3..t * 3 + 3];
            if i.contains(&from) && i.contains(&to) {
                println!(
                    "  tri {:?}",
                    m.triangle(t)
                        .map(|p| p.map(|x| (x * 1000.0).round() as i64))
                );
            }
        }
    }
    if let Some(out) = args.get(3) {
        std::fs::write(out, export::stl::binary(&m)).unwrap();
    }
}
#[allow(dead_code)]
fn near(m: &Mesh, c: [f32; 3], r: f32) {
    for i in 0..m.vertex_count() {
        let p = m.vertex(i as u32);
        if (p[0] - c[0]).abs() < r && (p[1] - c[1]).abs() < r && (p[2] - c[2]).abs() < r {
            println!("  v{} {:?}", i, p.map(|x| (x * 1000.0).round() as i64));
        }
    }
}
