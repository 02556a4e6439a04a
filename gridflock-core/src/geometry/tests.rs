//! Mesh invariants on hand-made plans (independent of the planner).

use crate::mesh::check;
use crate::params::{Connector, Magnets, Params};
use crate::plan::{Edge, Joint, Plan, PlatePlan, Side, Sides};

fn plate(
    columns: &[i64],
    rows: &[i64],
    pad: Sides<i64>,
    edges: Sides<Edge>,
    joints: Vec<Joint>,
) -> PlatePlan {
    let w = columns.iter().sum::<i64>() + pad.east + pad.west;
    let h = rows.iter().sum::<i64>() + pad.north + pad.south;
    PlatePlan {
        number: 1,
        column: 0,
        row: 0,
        cells_x: [0, columns.len() as u32],
        cells_y: [0, rows.len() as u32],
        origin_um: [0, 0],
        size_um: [w, h],
        padding_um: pad,
        edges,
        joints,
        bounds_um: [0, 0, w, h],
    }
}

fn plan_of(params: Params, columns: &[i64], rows: &[i64], p: PlatePlan) -> Plan {
    let bottom = match params.magnets {
        Magnets::None => 0,
        Magnets::PressFit => -3500,
        Magnets::GlueTop => -3000,
        Magnets::GlueBottom => -2750,
    };
    Plan {
        bed_um: [256_000, 256_000],
        size_um: p.size_um,
        columns_um: columns.to_vec(),
        rows_um: rows.to_vec(),
        padding_um: p.padding_um,
        bottom_um: bottom,
        plates: vec![p],
        params,
    }
}

const OUT: Sides<Edge> = Sides {
    north: Edge::Outer,
    east: Edge::Outer,
    south: Edge::Outer,
    west: Edge::Outer,
};

/// Padding of a 90 × 88 mm set of 2 × 2 cells, unequal on the two axes.
const PAD_90X88: Sides<i64> = Sides {
    north: 2_000,
    east: 3_000,
    south: 2_000,
    west: 3_000,
};

fn assert_closed(plan: &Plan) -> crate::mesh::MeshReport {
    let mesh = crate::build_plate(plan, 0);
    match check(&mesh) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn single_cell_without_magnets_is_closed() {
    let mut params = Params::new(42.0, 42.0);
    params.numbering = false;
    params.connector = Connector::None;
    let p = plate(&[42_000], &[42_000], Sides::default(), OUT, vec![]);
    let r = assert_closed(&plan_of(params, &[42_000], &[42_000], p));
    assert_eq!(r.components, 1);
}

#[test]
fn two_by_two_with_padding_and_number_is_closed() {
    let mut params = Params::new(90.0, 88.0);
    params.connector = Connector::None;
    let p = plate(&[42_000, 42_000], &[42_000, 42_000], PAD_90X88, OUT, vec![]);
    let r = assert_closed(&plan_of(params, &[42_000, 42_000], &[42_000, 42_000], p));
    assert_eq!(r.components, 1);
}

#[test]
fn magnets_every_style_are_closed() {
    for m in [Magnets::PressFit, Magnets::GlueTop, Magnets::GlueBottom] {
        let mut params = Params::new(105.0, 84.0);
        params.connector = Connector::None;
        params.magnets = m;
        let p = plate(
            &[42_000, 42_000, 21_000],
            &[42_000, 21_000],
            Sides::default(),
            OUT,
            vec![],
        );
        let r = assert_closed(&plan_of(
            params,
            &[42_000, 42_000, 21_000],
            &[42_000, 21_000],
            p,
        ));
        assert_eq!(r.components, 1, "{m:?}");
    }
}

#[test]
fn tiles_of_one_cell_size_share_their_bottom_face_inside_the_cell() {
    // With magnets the lowest slab is a plain floor; without, it is the
    // profile's lower chamfer, lofted.
    for magnets in [Magnets::PressFit, Magnets::None] {
        let mut params = Params::new(90.0, 88.0);
        params.connector = Connector::None;
        params.magnets = magnets;
        params.numbering = false;
        let cells = [42_000, 42_000];
        let p = plate(&cells, &cells, PAD_90X88, OUT, vec![]);
        let plan = plan_of(params, &cells, &cells, p);
        let mut cache = super::TileCache::default();
        let mesh = super::build_plate(&plan, &plan.plates[0], &mut cache);
        if let Err(e) = check(&mesh) {
            panic!("{magnets:?}: {e}");
        }
        // Four distinct corner tiles, one bottom face inside their cells.
        assert_eq!(cache.len(), 4, "{magnets:?}");
        assert_eq!(cache.interior.end_face_count(), 1, "{magnets:?}");
    }
}

#[test]
fn intersection_puzzle_seams_are_closed() {
    for fit in [1.0, 0.0, 0.5] {
        for magnets in [Magnets::None, Magnets::PressFit] {
            let mut params = Params::new(84.0, 84.0);
            params.connector = Connector::IntersectionPuzzle { fit };
            params.magnets = magnets;
            let edges = Sides {
                north: Edge::Male,
                east: Edge::Male,
                south: Edge::Female,
                west: Edge::Female,
            };
            // As the planner places them: every grid line on each seam, but
            // a north/south joint at a corner whose east/west side is a seam
            // gives way to that side's joint.
            let mut joints = Vec::new();
            for side in Side::ALL {
                let ends_on_seams = matches!(side, Side::North | Side::South);
                for at in [0, 42_000, 84_000] {
                    if ends_on_seams && at != 42_000 {
                        continue;
                    }
                    joints.push(Joint {
                        side,
                        at_um: at,
                        cell_um: 0,
                    });
                }
            }
            let p = plate(
                &[42_000, 42_000],
                &[42_000, 42_000],
                Sides::default(),
                edges,
                joints,
            );
            assert_closed(&plan_of(params, &[42_000, 42_000], &[42_000, 42_000], p));
        }
    }
}

#[test]
fn edge_puzzle_seams_are_closed() {
    for magnets in [Magnets::None, Magnets::PressFit] {
        let mut params = Params::new(84.0, 84.0);
        params.connector = Connector::EdgePuzzle;
        params.magnets = magnets;
        let edges = Sides {
            north: Edge::Male,
            east: Edge::Outer,
            south: Edge::Female,
            west: Edge::Outer,
        };
        let mut joints = Vec::new();
        for side in [Side::North, Side::South] {
            for at in [21_000, 63_000] {
                joints.push(Joint {
                    side,
                    at_um: at,
                    cell_um: 42_000,
                });
            }
        }
        let pad = Sides {
            north: 0,
            east: 1_500,
            south: 0,
            west: 1_500,
        };
        let p = plate(&[42_000, 42_000], &[42_000, 42_000], pad, edges, joints);
        assert_closed(&plan_of(params, &[42_000, 42_000], &[42_000, 42_000], p));
    }
}

#[test]
fn numbers_are_engraved_into_the_shared_unnumbered_tile() {
    use super::{TileCache, engrave, poly, tile::LABEL_DEPTH_UM, tile_key};
    for magnets in [Magnets::PressFit, Magnets::GlueTop, Magnets::GlueBottom] {
        let params = |numbering: bool| {
            let mut params = Params::new(84.0, 84.0);
            params.connector = Connector::None;
            params.magnets = magnets;
            params.numbering = numbering;
            params
        };
        let cells = [42_000, 42_000];
        let mut p = plate(&cells, &cells, Sides::default(), OUT, vec![]);
        // Every stroke of the seven-segment font.
        p.number = 1089;
        let numbered_plan = plan_of(params(true), &cells, &cells, p.clone());
        let numbered = assert_closed(&numbered_plan);
        let plain = assert_closed(&plan_of(params(false), &cells, &cells, p));

        // The engraving path is taken: the numbered tile is the unnumbered
        // one, from the cache, with the number cut in.
        let plate = &numbered_plan.plates[0];
        let key = tile_key(&numbered_plan, plate, [0, 0], [2, 2], [42_000; 2], [0, 0]);
        let (twin, strokes) = key
            .engraving()
            .expect("a plain lowest slab takes an engraving");
        let mut cache = TileCache::default();
        super::build_plate(&numbered_plan, plate, &mut cache);
        let engraved = engrave::engrave(
            cache.tiles[&twin].mesh(),
            key.zbot as i32,
            &strokes,
            LABEL_DEPTH_UM as i32,
        );
        assert!(
            engraved.is_some(),
            "{magnets:?}: the strokes fit the bottom face"
        );

        // What it removes is exactly the strokes' area times the depth.
        let area_um2 = poly::shapes_area2(&poly::union_all(&strokes)) / 2;
        let recess_mm3 = area_um2 as f64 * 1e-6 * LABEL_DEPTH_UM as f64 * 1e-3;
        assert!(recess_mm3 > 2.0, "{recess_mm3}");
        let removed = plain.volume_mm3 - numbered.volume_mm3;
        assert!(
            (removed - recess_mm3).abs() < 0.01,
            "{magnets:?}: removed {removed} mm³, strokes {recess_mm3} mm³"
        );
    }
}

#[test]
fn a_lofted_lowest_slab_keeps_the_number_in_the_tile() {
    // Without magnets the lowest slab is the profile's chamfer, which the
    // engraving would cut through: the tile is meshed with its number.
    let mut params = Params::new(42.0, 42.0);
    params.connector = Connector::None;
    let p = plate(&[42_000], &[42_000], Sides::default(), OUT, vec![]);
    let plan = plan_of(params, &[42_000], &[42_000], p);
    let key = super::tile_key(&plan, &plan.plates[0], [0, 0], [1, 1], [42_000; 2], [0, 0]);
    assert!(key.label.is_some());
    assert!(key.engraving().is_none());
    assert_closed(&plan);
}

/// Found by a random hunt: in a 17.6 mm filler row the edge-puzzle socket's
/// head passes 1.16 µm from a vertex of the opening's bottom ring. The boolean
/// snaps the crossings there to that vertex, so the faces at z = 0 run through
/// it, beyond the 1 µm rule; the socket's wall must follow them.
#[test]
fn a_socket_passing_a_ring_vertex_by_a_micrometre_is_closed() {
    let mut params = Params::new(84.0, 84.0);
    params.connector = Connector::EdgePuzzle;
    params.magnets = Magnets::PressFit;
    params.numbering = false;
    let edges = Sides {
        north: Edge::Outer,
        east: Edge::Outer,
        south: Edge::Outer,
        west: Edge::Female,
    };
    let joints = vec![Joint {
        side: Side::West,
        at_um: 8_796,
        cell_um: 17_593,
    }];
    let p = plate(&[42_000], &[17_593], Sides::default(), edges, joints);
    assert_closed(&plan_of(params, &[42_000], &[17_593], p));
}

/// A plan from the random hunts below: intersection puzzle, no magnets, no
/// filler, grid flush west, no numbers, square corners.
fn hunted_plan(size_mm: (f64, f64), printer: &str, fit: f64, alignment_y: f64) -> Plan {
    crate::plan(&hunted_params(size_mm, printer, fit, alignment_y)).expect("valid params")
}

fn hunted_params(size_mm: (f64, f64), printer: &str, fit: f64, alignment_y: f64) -> Params {
    let mut params = Params::new(size_mm.0, size_mm.1);
    params.printer = crate::params::Printer::Profile {
        id: printer.to_owned(),
    };
    params.connector = Connector::IntersectionPuzzle { fit };
    params.magnets = Magnets::None;
    params.filler = crate::params::Filler::None;
    params.alignment = crate::params::Alignment {
        x: 0.0,
        y: alignment_y,
    };
    params.numbering = false;
    params.corner_radius_mm = 0.0;
    params
}

/// Found by a random hunt: clipping an intersection-puzzle outline at the
/// padded north side leaves a one-unit lattice step at a corner, its second
/// vertex 1 µm from the side's edge. Splitting that edge there folded the
/// wall back onto the step's; the near miss is now opened first.
#[test]
fn a_lattice_step_at_an_outline_corner_is_closed() {
    let size = (1038.1260498949434, 1182.2969007187946);
    let plan = hunted_plan(size, "bambu-a1", 0.17544080967761078, 0.7909146434164533);
    for index in [10, 15] {
        let mesh = crate::build_plate(&plan, index);
        if let Err(e) = check(&mesh) {
            panic!("plate {index}: {e}");
        }
    }
}

/// Found by a random hunt: an intersection-puzzle notch whose tip ends 1 µm
/// from the plate's south side. The 1 µm T-junction rule put the tip on the
/// side's edge and pinched the web between them into a vertex shared by four
/// walls; the outline's near misses are now opened first.
#[test]
fn a_notch_tip_a_micrometre_from_the_side_is_closed() {
    let size = (1138.1882818968866, 1398.3939312498474);
    let plan = hunted_plan(size, "bambu-h2d", 0.8429307472641079, 0.13337832968429086);
    if let Err(e) = check(&crate::build_plate(&plan, 5)) {
        panic!("{e}");
    }
}

/// Found by a random hunt while opening near misses: a vertex on the plate's
/// outer side moved 1 µm outwards. Vertices on a tile's sides stay put.
#[test]
fn opening_a_near_miss_keeps_the_plate_size() {
    let mut params = hunted_params(
        (1582.1304548983842, 1683.2044345700706),
        "bambu-a1",
        0.34564542983222557,
        0.0,
    );
    params.filler = crate::params::Filler::Fraction { denominator: 2 };
    params.alignment.x = 0.06582829579790725;
    let plan = crate::plan(&params).expect("valid params");
    let mut checked = 0;
    for (index, plate) in plan.plates.iter().enumerate() {
        if plate.bounds_um != [0, 0, 211_649, 253_180] {
            continue;
        }
        let (min, max) = crate::build_plate(&plan, index)
            .bounds()
            .expect("non-empty");
        assert_eq!([min[0], min[1]], [0.0, 0.0], "plate {}", plate.number);
        assert_eq!(
            [max[0], max[1]],
            [211.649, 253.18],
            "plate {}",
            plate.number
        );
        checked += 1;
    }
    assert!(checked > 0);
}

/// Found by a random hunt: with a corner radius within 3 µm of the top
/// opening's, the top face is a sliver a few micrometres wide along the
/// corner arc. Rules that leave a vertex out of an edge by its place in its
/// own contour disagreed there between the face and the wall.
#[test]
fn a_corner_radius_just_below_the_openings_is_closed() {
    for radius_mm in [3.9976813876176704, 3.998, 3.999] {
        let mut params = hunted_params((42.0, 42.0), "bambu-a1", 0.0, 0.0);
        params.corner_radius_mm = radius_mm;
        let plan = crate::plan(&params).expect("valid params");
        if let Err(e) = check(&crate::build_plate(&plan, 0)) {
            panic!("corner radius {radius_mm} mm: {e}");
        }
    }
}

/// Found by a random hunt: in an edge-puzzle plate with press-fit magnets
/// and a dynamic filler row, a magnet pad meets the socket's curve at a
/// sharp corner, and a crossing the boolean snapped 2 µm from the corner
/// lies within 1 µm of both its edges. Both walls took it in, and covered
/// the spike between them with one triangle in both orientations.
#[test]
fn an_edge_puzzle_filler_row_at_the_pocket_level_is_closed() {
    let mut params = Params::new(360.90864372804845, 1120.963207337185);
    params.printer = crate::params::Printer::Profile {
        id: "bambu-a1".to_owned(),
    };
    params.connector = Connector::EdgePuzzle;
    params.magnets = Magnets::PressFit;
    params.filler = crate::params::Filler::Dynamic { min_mm: 9.0 };
    params.alignment = crate::params::Alignment { x: 0.0, y: 0.0 };
    params.numbering = false;
    params.corner_radius_mm = 0.0;
    let plan = crate::plan(&params).expect("valid params");
    if let Err(e) = check(&crate::build_plate(&plan, 9)) {
        panic!("{e}");
    }
}

/// Found by a random hunt: an intersection puzzle clipped at a padded south
/// side leaves a sliver a micrometre high in the outline, and the side's
/// vertex lies within 1 µm of the sliver's slanted edge. The two walls then
/// ran out to the sliver's apex and back, a fin of no width.
#[test]
fn an_intersection_puzzle_clipped_at_a_padded_side_is_closed() {
    let mut params = Params::new(833.539_407_552_164_3, 1_894.606_269_898_989_5);
    params.printer = crate::params::Printer::Profile {
        id: "bambu-a1".to_owned(),
    };
    params.connector = Connector::IntersectionPuzzle {
        fit: 0.301_355_313_333_249_5,
    };
    params.magnets = Magnets::None;
    params.filler = crate::params::Filler::None;
    params.alignment = crate::params::Alignment {
        x: 0.0,
        y: 0.098_674_410_800_497_02,
    };
    params.numbering = false;
    params.corner_radius_mm = 0.0;
    let plan = crate::plan(&params).expect("valid params");
    if let Err(e) = check(&crate::build_plate(&plan, 0)) {
        panic!("{e}");
    }
}
