// Web Worker: runs gridflock-wasm off the main thread. Plans the set, then
// builds plate by plate, posting each mesh with its buffers transferred.
// A newer request cancels an older one between plates.
import init, { plan, PlateSet } from './pkg/gridflock_wasm.js';

const ready = init();
let latest = 0;
let current = null; // { id, set, meshes: PlateMesh[] }

const yieldToMessages = () => new Promise((resolve) => setTimeout(resolve, 0));

function release() {
  if (!current) return;
  for (const m of current.meshes) m.free();
  current.set.free();
  current = null;
}

async function generate(id, options) {
  await ready;
  if (id !== latest) return;
  const start = performance.now();
  const result = plan(options);
  if (!result.ok) {
    postMessage({ type: 'invalid', id, message: result.message, issues: result.issues });
    return;
  }
  postMessage({ type: 'plan', id, plan: result.plan });
  release();
  const set = new PlateSet(options);
  current = { id, set, meshes: [] };
  for (let i = 0; i < set.plateCount; i++) {
    await yieldToMessages();
    if (id !== latest) return;
    const mesh = set.build(i);
    current.meshes.push(mesh);
    const positions = mesh.positions();
    const indices = mesh.indices();
    postMessage(
      { type: 'plate', id, index: i, positions, indices, triangles: mesh.triangleCount },
      [positions.buffer, indices.buffer],
    );
  }
  postMessage({ type: 'done', id, ms: performance.now() - start });
}

self.onmessage = async (event) => {
  const msg = event.data;
  try {
    if (msg.type === 'generate') {
      latest = msg.id;
      await generate(msg.id, msg.options);
    } else if (msg.type === 'stl') {
      if (!current || current.id !== msg.id || !current.meshes[msg.index]) {
        postMessage({ type: 'stl', request: msg.request, error: 'that plate is not built yet' });
        return;
      }
      const bytes = current.meshes[msg.index].stl();
      postMessage({ type: 'stl', request: msg.request, bytes }, [bytes.buffer]);
    } else if (msg.type === 'threemf') {
      if (!current || current.id !== msg.id) {
        postMessage({ type: 'threemf', request: msg.request, error: 'the plate set changed; try again' });
        return;
      }
      const bytes = current.set.threemf();
      postMessage({ type: 'threemf', request: msg.request, bytes, name: current.set.threemfFileName }, [bytes.buffer]);
    } else if (msg.type === 'printers') {
      await ready;
      const { printers } = await import('./pkg/gridflock_wasm.js');
      postMessage({ type: 'printers', printers: printers() });
    }
  } catch (e) {
    postMessage({ type: 'failed', id: msg.id, request: msg.request, message: String(e && e.message ? e.message : e) });
  }
};
