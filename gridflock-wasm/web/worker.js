// Web Worker: runs gridflock-wasm off the main thread. The page starts a small
// pool of these; each plans the set (cheap, deterministic) and builds its share
// of the plates, posting each mesh with its buffers transferred. A newer
// request cancels an older one between plates.
import init, { plan, printers, PlateSet } from './pkg/gridflock_wasm.js';

const ready = init();
let latest = 0;
let current = null; // { id, set, meshes: Map<index, PlateMesh> }

// Lets a newer request in between two plates. A message to ourselves, not
// setTimeout(0): browsers clamp chained timers to 4 ms, several per request.
const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()?.();
const yieldToMessages = () => new Promise((resolve) => {
  waiting.push(resolve);
  channel.port2.postMessage(null);
});

function release() {
  if (!current) return;
  for (const m of current.meshes.values()) m.free();
  current.set.free();
  current = null;
}

// The same greedy split in every worker: largest plates first, each to the
// least loaded worker, so the pool finishes together.
function share(plates, worker, workers) {
  const load = new Array(workers).fill(0);
  const mine = [];
  const order = plates.map((p, i) => [p.sizeMm[0] * p.sizeMm[1], i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [area, i] of order) {
    let k = 0;
    for (let j = 1; j < workers; j++) if (load[j] < load[k]) k = j;
    load[k] += area;
    if (k === worker) mine.push(i);
  }
  return mine.sort((a, b) => a - b);
}

async function generate(msg) {
  const { id, options, worker, workers } = msg;
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
  current = { id, set, meshes: new Map() };
  for (const i of share(result.plan.plates, worker, workers)) {
    await yieldToMessages();
    if (id !== latest) return;
    const mesh = set.build(i);
    current.meshes.set(i, mesh);
    const positions = mesh.positions();
    const indices = mesh.indices();
    postMessage(
      { type: 'plate', id, index: i, worker, positions, indices, triangles: mesh.triangleCount },
      [positions.buffer, indices.buffer],
    );
  }
  postMessage({ type: 'part-done', id, worker, ms: performance.now() - start });
}

self.onmessage = async (event) => {
  const msg = event.data;
  try {
    if (msg.type === 'generate') {
      latest = msg.id;
      await generate(msg);
    } else if (msg.type === 'stl') {
      const mesh = current && current.id === msg.id && current.meshes.get(msg.index);
      if (!mesh) {
        postMessage({ type: 'stl', request: msg.request, error: 'that plate is not built yet' });
        return;
      }
      const bytes = mesh.stl();
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
      postMessage({ type: 'printers', printers: printers() });
    }
  } catch (e) {
    postMessage({ type: 'failed', id: msg.id, request: msg.request, message: String(e && e.message ? e.message : e) });
  }
};
