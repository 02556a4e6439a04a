// The Node API: options, typed arrays, errors, SKUs, printers.
import test from 'node:test';
import assert from 'node:assert/strict';
import { gridflock } from '../testlib/helpers.mjs';

test('defaults mirror the Rust Params', () => {
  const p = gridflock.plan();
  assert.deepEqual(p.sizeMm, [371, 254]);
  assert.deepEqual(p.bedMm, [250, 220]);
  assert.equal(p.sku, 'GF-371x254-IP-NOMAG');
});

test('plan lays out plates that fit the bed', () => {
  const p = gridflock.plan({ width_mm: 450, height_mm: 320, printer: 'bambu-a1', magnets: 'press-fit' });
  assert.equal(p.sku, 'GF-450x320-IP-MAG');
  assert.equal(p.plateCount, 4);
  assert.deepEqual(p.plates.map((i) => i.number), [1, 2, 3, 4]);
  for (const i of p.plates) assert.ok(i.extentMm[0] <= 256 && i.extentMm[1] <= 256);
  assert.match(p.planHash, /^[0-9a-f]{64}$/);
});

test('every option converts', () => {
  const p = gridflock.plan({
    width_mm: 200, height_mm: 150, bed: [180, 180], connector: 'edge', magnets: 'glue-bottom',
    filler: 'dynamic', filler_min_mm: 12, alignment: [0, 1], numbering: false, corner_radius_mm: 0,
    magnet_dims: { diameter_mm: 6 },
  });
  assert.equal(p.sku, 'GF-200x150-EP-MAG');
  assert.deepEqual(p.bedMm, [180, 180]);
});

test('meshes are typed arrays ready for three.js', () => {
  const { plates: [plate] } = gridflock.generate({ width_mm: 84, height_mm: 84 });
  assert.ok(plate.positions instanceof Float32Array);
  assert.ok(plate.indices instanceof Uint32Array);
  assert.ok(Buffer.isBuffer(plate.stl));
  assert.equal(plate.stl.length, 84 + 50 * plate.triangleCount);
  const max = plate.indices.reduce((a, b) => Math.max(a, b), 0);
  assert.ok(max < plate.positions.length / 3);
});

test('bad input throws an Error with a code naming field and range', () => {
  assert.throws(() => gridflock.plan({ width_mm: 10, height_mm: 99999, connector: 'glue' }), (e) => {
    assert.ok(e instanceof Error);
    assert.equal(e.code, 'GRIDFLOCK_PARAM');
    assert.equal(e.field, 'connector');
    assert.deepEqual(e.issues.map((i) => i.field), ['connector', 'width_mm', 'height_mm']);
    assert.deepEqual({ ...e.issues[1] }, { field: 'width_mm', value: '10', allowed: '42 to 2000 mm' });
    assert.match(e.message, /connector = glue: allowed intersection, edge, none/);
    assert.match(e.message, /width_mm = 10: allowed 42 to 2000 mm/);
    assert.match(e.message, /height_mm = 99999/);
    return true;
  });
  assert.throws(() => gridflock.generate({ printer: 'nope' }), { code: 'GRIDFLOCK_PARAM', field: 'printer.id' });
  assert.throws(() => gridflock.plan({ bed: [1, 2, 3] }), { code: 'GRIDFLOCK_PARAM', field: 'bed', message: /bed/ });
  assert.throws(() => gridflock.generateAsync({ magnets: 'lots' }), { code: 'GRIDFLOCK_PARAM', field: 'magnets' });
  assert.throws(() => gridflock.sku({ connector: 'glue' }), { code: 'GRIDFLOCK_PARAM', field: 'connector' });
});

test('SKUs format and parse', () => {
  assert.equal(gridflock.sku({ width_mm: 450, height_mm: 320, magnets: 'glue-top' }), 'GF-450x320-IP-MAG');
  const o = gridflock.parseSku('GF-450x320-EP-NOMAG');
  assert.deepEqual({ ...o }, { width_mm: 450, height_mm: 320, connector: 'edge', magnets: 'none' });
  assert.equal(gridflock.plan(o).sku, 'GF-450x320-EP-NOMAG');
  assert.throws(() => gridflock.parseSku('GF-450x320-XX-MAG'), { code: 'GRIDFLOCK_SKU', message: /connector/ });
});

test('printer profiles', () => {
  const ps = gridflock.printers();
  const ids = ps.map((p) => p.id);
  assert.deepEqual(ids, [...ids].sort());
  assert.deepEqual(ps.find((p) => p.id === 'bambu-a1').bedMm, [256, 256]);
});
