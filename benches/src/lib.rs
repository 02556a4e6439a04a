//! Fixed, named benchmark inputs shared by the criterion benches and the
//! peak-memory probe.
//!
//! Names follow the SKU shape: `<W>x<H>-<IP|EP|NC>-<MAG|NOMAG>`; `MAG` means
//! press-fit magnets. Every input except the smallest is planned for the
//! Bambu Lab A1 bed.

use gridflock_core::{Connector, Magnets, Params, Printer, export};

/// Every named input, smallest first.
pub const INPUTS: &[&str] = &[
    "84x84-IP-MAG",
    "450x320-IP-MAG",
    "450x320-EP-NOMAG",
    "1000x600-IP-MAG",
];

/// The parameters of a named input, or `None` for an unknown name.
pub fn params(name: &str) -> Option<Params> {
    let a1 = || Printer::Profile {
        id: "bambu-a1".to_owned(),
    };
    let ip = Connector::IntersectionPuzzle { fit: 1.0 };
    let (w, h, printer, connector, magnets) = match name {
        "84x84-IP-MAG" => (84.0, 84.0, Printer::default(), ip, Magnets::PressFit),
        "450x320-IP-MAG" => (450.0, 320.0, a1(), ip, Magnets::PressFit),
        "450x320-EP-NOMAG" => (450.0, 320.0, a1(), Connector::EdgePuzzle, Magnets::None),
        "1000x600-IP-MAG" => (1000.0, 600.0, a1(), ip, Magnets::PressFit),
        _ => return None,
    };
    let mut params = Params::new(w, h);
    params.printer = printer;
    params.connector = connector;
    params.magnets = magnets;
    Some(params)
}

/// What one run of the whole job produced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Plates in the set.
    pub plates: usize,
    /// Triangles over all plates.
    pub triangles: usize,
    /// Bytes of binary STL over all plates.
    pub stl_bytes: usize,
}

/// The measured job, single-threaded: plan, build every plate, write binary STL.
///
/// # Panics
/// If the input is rejected by `plan()`; the named inputs are all valid.
pub fn run(params: &Params) -> RunSummary {
    let plan = match gridflock_core::plan(params) {
        Ok(plan) => plan,
        Err(e) => panic!("benchmark input rejected: {e}"),
    };
    let mut summary = RunSummary::default();
    let mut builder = gridflock_core::Builder::new();
    for index in 0..plan.plates.len() {
        let mesh = builder.plate(&plan, index);
        let stl = export::stl::binary(&mesh);
        summary.plates += 1;
        summary.triangles += mesh.triangle_count();
        summary.stl_bytes += stl.len();
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_has_params() {
        for name in INPUTS {
            assert!(params(name).is_some(), "{name}");
        }
        assert!(params("nope").is_none());
    }
}
