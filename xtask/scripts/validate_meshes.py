#!/usr/bin/env python3
"""Check every plate of generated plate sets with independent tools.

Usage: validate_meshes.py DIR [DIR ...]

Each DIR holds a manifest.json written by `gridflock generate`. Every plate
file must pass:
  * trimesh: is_watertight, is_winding_consistent, volume > 0
  * manifold3d: status NoError and volume > 0
  * PrusaSlicer: `--info` reports `manifold = yes`, and the plate slices to G-code.
Exits 1 if any plate fails, listing every failure.
"""

import json
import os
import subprocess
import sys
import tempfile

import manifold3d
import numpy as np
import trimesh

BED_MM = 400
SLICER_INI = f"""printer_technology = FFF
bed_shape = 0x0,{BED_MM}x0,{BED_MM}x{BED_MM},0x{BED_MM}
max_print_height = 100
nozzle_diameter = 0.4
filament_diameter = 1.75
gcode_flavor = marlin2
layer_height = 0.2
first_layer_height = 0.2
temperature = 210
first_layer_temperature = 215
bed_temperature = 60
first_layer_bed_temperature = 60
perimeters = 2
top_solid_layers = 4
bottom_solid_layers = 3
fill_density = 15%
fill_pattern = grid
skirts = 1
support_material = 0
filament_type = PLA
"""


def check_trimesh(path):
    mesh = trimesh.load(path, force="mesh")  # process=True merges STL's repeated vertices
    problems = []
    if not mesh.is_watertight:
        problems.append("trimesh: not watertight")
    if not mesh.is_winding_consistent:
        problems.append("trimesh: winding not consistent")
    if not mesh.volume > 0:
        problems.append(f"trimesh: volume {mesh.volume}")
    return mesh, problems


def check_manifold(mesh):
    m = manifold3d.Manifold(
        manifold3d.Mesh(
            vert_properties=np.asarray(mesh.vertices, np.float32),
            tri_verts=np.asarray(mesh.faces, np.uint32),
        )
    )
    status = m.status()
    problems = []
    if status != manifold3d.Error.NoError:
        problems.append(f"manifold3d: {status}")
    elif not m.volume() > 0:
        problems.append(f"manifold3d: volume {m.volume()}")
    return problems


def check_slicer(path, scratch):
    problems = []
    datadir = os.path.join(scratch, "psdata")
    info = subprocess.run(
        ["prusa-slicer", "--datadir", datadir, "--loglevel=1", "--info", path],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if info.returncode != 0 or "manifold = yes" not in info.stdout:
        lines = [l for l in info.stdout.splitlines() if "=" in l]
        problems.append(f"prusa-slicer --info (rc {info.returncode}): {'; '.join(lines) or info.stderr.strip()}")
    ini = os.path.join(scratch, "pla.ini")
    with open(ini, "w") as f:
        f.write(SLICER_INI)
    gcode = os.path.join(scratch, "plate.gcode")
    sliced = subprocess.run(
        ["prusa-slicer", "--datadir", datadir, "--loglevel=1", "-g", "--load", ini,
         "--center", f"{BED_MM // 2},{BED_MM // 2}", "-o", gcode, path],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if sliced.returncode != 0 or not os.path.isfile(gcode) or os.path.getsize(gcode) == 0:
        tail = (sliced.stderr.strip() or sliced.stdout.strip()).splitlines()[-1:]
        problems.append(f"prusa-slicer slice (rc {sliced.returncode}): {' '.join(tail)}")
    else:
        with open(gcode) as f:
            layers = sum(1 for line in f if line.startswith(";LAYER_CHANGE"))
        if layers == 0:
            problems.append("prusa-slicer slice: no layers in the G-code")
        os.remove(gcode)
    return problems


def main(dirs):
    if not dirs:
        print(__doc__)
        return 2
    failures = 0
    checked = 0
    with tempfile.TemporaryDirectory() as scratch:
        for d in dirs:
            with open(os.path.join(d, "manifest.json")) as f:
                manifest = json.load(f)
            for plate in manifest["plates"]:
                path = os.path.join(d, plate["file"])
                mesh, problems = check_trimesh(path)
                problems += check_manifold(mesh)
                problems += check_slicer(path, scratch)
                checked += 1
                label = f"{manifest['sku']} plate {plate['number']} ({os.path.basename(d)}/{plate['file']})"
                if problems:
                    failures += 1
                    print(f"FAIL {label}: " + "; ".join(problems))
                else:
                    print(f"ok   {label}: {len(mesh.faces)} triangles, volume {mesh.volume:.1f} mm3")
    print(f"validate-meshes: {checked - failures} of {checked} plates passed trimesh, manifold3d and PrusaSlicer")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
