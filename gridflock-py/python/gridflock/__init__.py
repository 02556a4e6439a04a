"""Deterministic, watertight Gridfinity baseplates (GridFlock geometry).

The geometry is computed by the Rust crate ``gridflock-core``; this package is
a thin typed wrapper around its private native module ``gridflock._gridflock``.

Keyword arguments mirror the Rust ``Params`` (same names, same defaults)::

    import gridflock
    plates = gridflock.generate(width_mm=450, height_mm=320, printer="bambu-a1",
                                magnets="press-fit")
    for plate in plates:
        open(plate.file_name, "wb").write(plate.stl_bytes())

Invalid input raises :class:`ParamError` (a ``ValueError``) whose ``issues``
list every problem as ``(field, value, allowed)``.
"""

from ._gridflock import (
    BatchItem,
    ParamError,
    Plan,
    Plate,
    PlateInfo,
    PlateSet,
    PrinterProfile,
    SkuError,
    __version__,
    batch,
    generate,
    parse_sku,
    plan,
    printers,
    sku,
)

__all__ = [
    "BatchItem",
    "ParamError",
    "Plan",
    "Plate",
    "PlateInfo",
    "PlateSet",
    "PrinterProfile",
    "SkuError",
    "__version__",
    "batch",
    "generate",
    "parse_sku",
    "plan",
    "printers",
    "sku",
]
