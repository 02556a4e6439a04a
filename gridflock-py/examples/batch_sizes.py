"""Generate a catalogue of plate sets with a progress bar, a CSV manifest and a summary.

Run with (after ``maturin develop --release`` in gridflock-py/):

    python examples/batch_sizes.py --printer bambu-a1 --out out/catalogue
    python examples/batch_sizes.py --quick --out /tmp/catalogue   # three sizes, for tests

By default every square size from 100 to 600 mm in 10 mm steps is generated;
``--grid`` generates every width x height pair instead (2601 sets).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import gridflock


def sizes_for(args: argparse.Namespace) -> list[tuple[float, float]]:
    if args.quick:
        return [(100.0, 100.0), (150.0, 120.0), (300.0, 200.0)]
    steps = [float(s) for s in range(args.min, args.max + 1, args.step)]
    if args.grid:
        return [(w, h) for w in steps for h in steps]
    return [(s, s) for s in steps]


def progress_bar(done: int, total: int, width: int = 40) -> None:
    filled = width * done // total
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--printer", default="bambu-a1", help="printer profile id")
    ap.add_argument("--magnets", default="none", help="none, press-fit, glue-top, glue-bottom")
    ap.add_argument("--connector", default="intersection", help="intersection, edge, none")
    ap.add_argument("--min", type=int, default=100)
    ap.add_argument("--max", type=int, default=600)
    ap.add_argument("--step", type=int, default=10)
    ap.add_argument("--grid", action="store_true", help="every width x height pair")
    ap.add_argument("--quick", action="store_true", help="three small sizes only")
    ap.add_argument("--out", type=Path, default=Path("out/catalogue"))
    args = ap.parse_args(argv)

    known = {p.id for p in gridflock.printers()}
    if args.printer not in known:
        ap.error(f"unknown printer {args.printer!r}; known: {', '.join(sorted(known))}")
    sizes = sizes_for(args)
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        items = gridflock.batch(
            sizes,
            args.out,
            progress=progress_bar,
            printer=args.printer,
            magnets=args.magnets,
            connector=args.connector,
        )
    except gridflock.ParamError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - start

    manifest = args.out / "manifest.csv"
    with manifest.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sku", "width_mm", "height_mm", "plates", "triangles", "files", "sha256", "plan_hash"])
        for it in items:
            w.writerow([it.sku, it.width_mm, it.height_mm, it.plates, it.triangles,
                        " ".join(it.files), " ".join(it.sha256), it.plan_hash])
    plates = sum(it.plates for it in items)
    triangles = sum(it.triangles for it in items)
    size = sum((args.out / name).stat().st_size for it in items for name in it.files)
    print(f"{len(items)} sets, {plates} plates, {triangles} triangles, "
          f"{size / 1e6:.1f} MB of STL in {elapsed:.2f} s -> {manifest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
