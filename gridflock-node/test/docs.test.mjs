// The JavaScript snippet of docs/bindings.md (Node section) runs as written.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { here, root } from '../testlib/helpers.mjs';

test('docs/bindings.md Node snippet runs', () => {
  const md = readFileSync(path.join(root, 'docs', 'bindings.md'), 'utf8');
  const section = md.split('## Node.js')[1].split('\n## ')[0];
  const code = section.match(/```js\n([\s\S]*?)```/)[1];
  const out = execFileSync(process.execPath, ['--input-type=commonjs', '-e', code], {
    cwd: path.resolve(here, '..'),
    encoding: 'utf8',
  });
  assert.match(out, /GF-450x320-IP-MAG 4 \d+ \d+/);
  assert.match(out, /GRIDFLOCK_PARAM width_mm .*width_mm = 10/);
});
