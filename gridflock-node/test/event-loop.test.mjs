// generateAsync builds off the event loop: timers keep firing meanwhile.
import test from 'node:test';
import assert from 'node:assert/strict';
import { gridflock } from '../testlib/helpers.mjs';

test('event loop stays responsive during generateAsync of 1000x600 with magnets', async () => {
  const options = { width_mm: 1000, height_mm: 600, magnets: 'press-fit' };
  let ticks = 0;
  let worstGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worstGap = Math.max(worstGap, now - last);
    last = now;
    ticks += 1;
  }, 5);
  const start = performance.now();
  const set = await gridflock.generateAsync(options);
  const elapsed = performance.now() - start;
  clearInterval(timer);
  assert.ok(set.plates.length > 1);
  assert.ok(set.triangleCount > 100000);
  // The build takes hundreds of ms; a blocked loop would tick about once.
  assert.ok(ticks >= Math.min(10, elapsed / 20), `only ${ticks} ticks in ${elapsed.toFixed(0)} ms`);
  assert.ok(worstGap < 250 + elapsed / 4, `worst timer gap ${worstGap.toFixed(0)} ms of ${elapsed.toFixed(0)} ms`);
  console.log(`# generateAsync 1000x600 MAG: ${set.plates.length} plates, ${set.triangleCount} triangles, `
    + `${elapsed.toFixed(0)} ms, ${ticks} ticks, worst gap ${worstGap.toFixed(0)} ms`);
});
