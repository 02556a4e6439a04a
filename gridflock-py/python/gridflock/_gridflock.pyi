"""Type stubs of the native module ``gridflock._gridflock``."""

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Literal, TypedDict, final

import numpy as np
import numpy.typing as npt

__version__: str

Connector = Literal["intersection", "edge", "none"]
Magnets = Literal["none", "press-fit", "glue-top", "glue-bottom"]
Filler = Literal["none", "dynamic", "1/2", "1/3", "1/4"]

class MagnetDims(TypedDict, total=False):
    diameter_mm: float
    height_mm: float
    top_mm: float
    bottom_mm: float
    border_mm: float
    release_width_mm: float

class SkuOptions(TypedDict):
    width_mm: float
    height_mm: float
    connector: Connector
    magnets: Magnets

class ParamError(ValueError):
    """Invalid parameters; ``issues`` lists every problem."""

    issues: list[tuple[str, str, str]]
    """``(field, value, allowed)`` per problem, e.g. ``("width_mm", "10", "42 to 2000 mm")``."""

class SkuError(ValueError):
    """A SKU that does not parse."""

@final
class PlateInfo:
    @property
    def number(self) -> int: ...
    @property
    def column(self) -> int: ...
    @property
    def row(self) -> int: ...
    @property
    def origin_mm(self) -> tuple[float, float]: ...
    @property
    def size_mm(self) -> tuple[float, float]: ...
    @property
    def extent_mm(self) -> tuple[float, float]: ...

@final
class Plan:
    @property
    def sku(self) -> str: ...
    @property
    def plate_count(self) -> int: ...
    @property
    def size_mm(self) -> tuple[float, float]: ...
    @property
    def bed_mm(self) -> tuple[float, float]: ...
    @property
    def columns_mm(self) -> list[float]: ...
    @property
    def rows_mm(self) -> list[float]: ...
    @property
    def height_mm(self) -> float: ...
    @property
    def plates(self) -> list[PlateInfo]: ...
    def plan_hash(self, slicer_profile: str = "") -> str: ...

@final
class Plate:
    @property
    def number(self) -> int: ...
    @property
    def info(self) -> PlateInfo: ...
    @property
    def file_name(self) -> str: ...
    @property
    def triangle_count(self) -> int: ...
    @property
    def vertex_count(self) -> int: ...
    @property
    def vertices(self) -> npt.NDArray[np.float32]:
        """Shape (N, 3), mm."""
    @property
    def triangles(self) -> npt.NDArray[np.uint32]:
        """Shape (M, 3), counter-clockwise seen from outside."""
    def stl_bytes(self) -> bytes: ...
    def threemf_bytes(self) -> bytes: ...

@final
class PlateSet(Sequence[Plate]):
    @property
    def plan(self) -> Plan: ...
    @property
    def sku(self) -> str: ...
    @property
    def plates(self) -> list[Plate]: ...
    @property
    def triangle_count(self) -> int: ...
    def threemf_bytes(self) -> bytes: ...
    def __len__(self) -> int: ...
    def __getitem__(self, index: int, /) -> Plate: ...  # type: ignore[override]
    def __iter__(self) -> Iterator[Plate]: ...

@final
class BatchItem:
    @property
    def sku(self) -> str: ...
    @property
    def width_mm(self) -> float: ...
    @property
    def height_mm(self) -> float: ...
    @property
    def plates(self) -> int: ...
    @property
    def triangles(self) -> int: ...
    @property
    def files(self) -> list[str]: ...
    @property
    def sha256(self) -> list[str]: ...
    @property
    def plan_hash(self) -> str: ...

@final
class PrinterProfile:
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def bed_mm(self) -> tuple[float, float]: ...

def plan(
    *,
    width_mm: float = 371.0,
    height_mm: float = 254.0,
    printer: str | None = None,
    bed: tuple[float, float] | None = None,
    connector: Connector = "intersection",
    fit: float = 1.0,
    magnets: Magnets = "none",
    magnet_dims: MagnetDims | None = None,
    filler: Filler = "1/2",
    filler_min_mm: float = 15.0,
    alignment: tuple[float, float] = (0.5, 0.5),
    numbering: bool = True,
    corner_radius_mm: float = 4.0,
) -> Plan:
    """Validate and lay out a plate set. Without ``printer`` or ``bed`` the bed is 250 x 220 mm."""

def generate(
    *,
    width_mm: float = 371.0,
    height_mm: float = 254.0,
    printer: str | None = None,
    bed: tuple[float, float] | None = None,
    connector: Connector = "intersection",
    fit: float = 1.0,
    magnets: Magnets = "none",
    magnet_dims: MagnetDims | None = None,
    filler: Filler = "1/2",
    filler_min_mm: float = 15.0,
    alignment: tuple[float, float] = (0.5, 0.5),
    numbering: bool = True,
    corner_radius_mm: float = 4.0,
) -> PlateSet:
    """Plan and build every plate (all cores, GIL released)."""

def batch(
    sizes: Sequence[tuple[float, float]],
    out_dir: str | os.PathLike[str],
    *,
    progress: Callable[[int, int], object] | None = None,
    printer: str | None = None,
    bed: tuple[float, float] | None = None,
    connector: Connector = "intersection",
    fit: float = 1.0,
    magnets: Magnets = "none",
    magnet_dims: MagnetDims | None = None,
    filler: Filler = "1/2",
    filler_min_mm: float = 15.0,
    alignment: tuple[float, float] = (0.5, 0.5),
    numbering: bool = True,
    corner_radius_mm: float = 4.0,
) -> list[BatchItem]:
    """Write one binary STL per plate for every ``(width_mm, height_mm)`` into ``out_dir``."""

def sku(
    *,
    width_mm: float = 371.0,
    height_mm: float = 254.0,
    printer: str | None = None,
    bed: tuple[float, float] | None = None,
    connector: Connector = "intersection",
    fit: float = 1.0,
    magnets: Magnets = "none",
    magnet_dims: MagnetDims | None = None,
    filler: Filler = "1/2",
    filler_min_mm: float = 15.0,
    alignment: tuple[float, float] = (0.5, 0.5),
    numbering: bool = True,
    corner_radius_mm: float = 4.0,
) -> str: ...
def parse_sku(text: str) -> SkuOptions: ...
def printers() -> list[PrinterProfile]: ...
