"""The Python API: conversions, arrays, errors, SKUs, printers, batch."""

import io
import threading
import time
import zipfile

import numpy as np
import pytest

import gridflock


def test_defaults_mirror_rust_params():
    p = gridflock.plan()
    assert p.size_mm == (371.0, 254.0)
    assert p.bed_mm == (250.0, 220.0)
    assert p.sku == "GF-371x254-IP-NOMAG"


def test_plan_layout():
    p = gridflock.plan(width_mm=450, height_mm=320, printer="bambu-a1", magnets="press-fit")
    assert p.sku == "GF-450x320-IP-MAG"
    assert p.plate_count == len(p.plates) == 4
    assert [i.number for i in p.plates] == [1, 2, 3, 4]
    assert sum(i.size_mm[0] * i.size_mm[1] for i in p.plates) == pytest.approx(450 * 320)
    for info in p.plates:
        assert info.extent_mm[0] <= 256 and info.extent_mm[1] <= 256
    assert len(p.plan_hash()) == 64
    assert p.plan_hash("pla") != p.plan_hash()


def test_bed_and_options():
    p = gridflock.plan(width_mm=200, height_mm=150, bed=(180, 180), connector="edge",
                       magnets="glue-bottom", filler="dynamic", alignment=(0, 1),
                       numbering=False, corner_radius_mm=0, magnet_dims={"diameter_mm": 6.0})
    assert p.sku == "GF-200x150-EP-MAG"
    assert p.bed_mm == (180.0, 180.0)


def test_mesh_arrays():
    [plate] = gridflock.generate(width_mm=84, height_mm=84)
    v, t = plate.vertices, plate.triangles
    assert v.dtype == np.float32 and v.shape == (plate.vertex_count, 3)
    assert t.dtype == np.uint32 and t.shape == (plate.triangle_count, 3)
    assert t.max() < len(v)
    assert v[:, 0].max() - v[:, 0].min() == pytest.approx(84, abs=0.01)
    stl = plate.stl_bytes()
    assert len(stl) == 84 + 50 * plate.triangle_count


def test_param_error_names_field_and_range():
    with pytest.raises(gridflock.ParamError) as err:
        gridflock.plan(width_mm=10, height_mm=99999, connector="glue")
    e = err.value
    assert isinstance(e, ValueError)
    fields = [f for f, _, _ in e.issues]
    assert fields == ["connector", "width_mm", "height_mm"]
    assert ("width_mm", "10", "42 to 2000 mm") in e.issues
    assert "width_mm" in str(e) and "42 to 2000 mm" in str(e)


def test_bad_printer_and_conflicts():
    with pytest.raises(gridflock.ParamError) as err:
        gridflock.plan(printer="nope")
    assert err.value.issues[0][0] == "printer.id"
    with pytest.raises(gridflock.ParamError) as err:
        gridflock.plan(printer="bambu-a1", bed=(200, 200))
    assert err.value.issues[0][0] == "bed"


def test_wrong_types_and_names():
    with pytest.raises(TypeError, match="widht_mm"):
        gridflock.plan(widht_mm=100)
    with pytest.raises(TypeError, match="width_mm"):
        gridflock.plan(width_mm="wide")


def test_sku_round_trip():
    assert gridflock.sku(width_mm=450, height_mm=320, magnets="glue-top") == "GF-450x320-IP-MAG"
    kw = gridflock.parse_sku("GF-450x320-EP-NOMAG")
    assert kw == {"width_mm": 450.0, "height_mm": 320.0, "connector": "edge", "magnets": "none"}
    assert gridflock.plan(**kw).sku == "GF-450x320-EP-NOMAG"
    with pytest.raises(gridflock.SkuError, match="connector"):
        gridflock.parse_sku("GF-450x320-XX-MAG")
    assert issubclass(gridflock.SkuError, ValueError)


def test_printers():
    ps = gridflock.printers()
    ids = [p.id for p in ps]
    assert ids == sorted(ids) and "bambu-a1" in ids
    a1 = next(p for p in ps if p.id == "bambu-a1")
    assert a1.bed_mm == (256.0, 256.0) and a1.name


def test_threemf_packages():
    plates = gridflock.generate(width_mm=200, height_mm=150, bed=(180, 180))
    data = plates.threemf_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        model = z.read("3D/3dmodel.model").decode()
    assert model.count("<object ") == len(plates) == 2
    assert f"{plates.sku} plate 2" in model
    single = plates[1].threemf_bytes()
    assert single[:2] == b"PK" and len(single) < len(data)
    assert plates.threemf_bytes() == data


def test_batch_progress_and_gil_released(tmp_path):
    calls = []
    ticks = 0
    stop = threading.Event()

    def ticker():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        items = gridflock.batch([(100, 100), (300, 250), (84, 126)], tmp_path,
                                progress=lambda d, n: calls.append((d, n)), magnets="press-fit")
    finally:
        stop.set()
        t.join()
    assert [it.sku for it in items] == ["GF-100x100-IP-MAG", "GF-300x250-IP-MAG", "GF-84x126-IP-MAG"]
    assert sorted(calls) == [(1, 3), (2, 3), (3, 3)]
    assert ticks > 5, "another Python thread ran while batch worked"
    for it in items:
        assert len(it.files) == it.plates == len(it.sha256)
        for name in it.files:
            assert (tmp_path / name).stat().st_size > 84


def test_batch_reports_bad_size(tmp_path):
    with pytest.raises(gridflock.ParamError) as err:
        gridflock.batch([(100, 100), (10, 100)], tmp_path)
    assert err.value.issues[0][0] == "width_mm"
