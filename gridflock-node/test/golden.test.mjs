// Every reference plate hashes exactly like Rust's (bindings-golden.json).
import test from 'node:test';
import assert from 'node:assert/strict';
import { gridflock, golden, sha256 } from '../testlib/helpers.mjs';

for (const c of golden.cases) {
  test(`golden ${c.name} (sync)`, () => {
    const set = gridflock.generate(c.options);
    assert.equal(set.threemf, undefined);
    assert.equal(set.sku, c.sku);
    assert.equal(gridflock.sku(c.options), c.sku);
    assert.equal(set.plates.length, c.plates.length);
    set.plates.forEach((plate, i) => {
      const want = c.plates[i];
      assert.equal(plate.number, want.number);
      assert.equal(plate.fileName, want.file);
      assert.equal(plate.triangleCount, want.triangles);
      assert.equal(plate.positions.length, 3 * want.vertices);
      assert.equal(plate.indices.length, 3 * want.triangles);
      assert.equal(plate.stl.length, want.stl_bytes);
      assert.deepEqual(plate.info.sizeMm, want.size_mm);
      assert.equal(sha256(plate.stl), want.sha256, `${c.name} plate ${plate.number}`);
    });
  });

  test(`golden ${c.name} (async)`, async () => {
    const set = await gridflock.generateAsync(c.options, { threemf: true });
    assert.deepEqual(set.plates.map((p) => sha256(p.stl)), c.plates.map((p) => p.sha256));
    assert.equal(set.threemf.length, c.threemf.bytes);
    assert.equal(sha256(set.threemf), c.threemf.sha256);
  });
}
