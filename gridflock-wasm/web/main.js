// GridFlock live preview: form -> workers -> three.js scene.
// The worker owns all gridflock-wasm calls; this thread only draws.
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';

const $ = (id) => document.getElementById(id);
// A set that is not complete this long after the request is drawn plate by
// plate as plates arrive; a faster one is drawn once, complete. On a software
// rasterizer every frame of a large set costs tens of milliseconds of the
// same cores the workers need.
const PROGRESSIVE_AFTER_MS = 100;
const EXPLODE_GAP_MM = 12;
const BACKGROUND = 0xe8ecf2;

// Multisampling is nearly free on a GPU and triples the cost of a frame on a
// software rasterizer (headless browsers, machines without GPU drivers).
function softwareRasterizer() {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return false;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : '';
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return /SwiftShader|llvmpipe|softpipe|Software/i.test(String(name));
}
const software = softwareRasterizer();
// A small pool of workers builds the plates of a set in parallel.
const POOL = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4));
const workers = Array.from({ length: POOL }, () => new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));
const state = {
  id: 0, planId: 0, plan: null, plates: [], owner: [], early: [], partsDone: 0, coreMs: 0, complete: false,
  inputAt: 0, requestedAt: 0, firstPlateMs: null, stlRequests: new Map(), nextRequest: 1,
};
// Read by the browser test; mirrors what the page shows.
window.__gridflock = {
  status: 'loading', sku: null, plateCount: 0, triangles: 0, ms: null, id: 0, software, syncFrames: false, drawnMs: null,
};

// ---- three.js scene ----------------------------------------------------------
const canvas = $('canvas');
const renderer = new THREE.WebGLRenderer({ canvas, antialias: !software, preserveDrawingBuffer: true });
renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
const scene = new THREE.Scene();
scene.background = new THREE.Color(BACKGROUND);
const camera = new THREE.PerspectiveCamera(40, 1, 1, 20000);
camera.up.set(0, 0, 1);
const controls = new OrbitControls(camera, canvas);
scene.add(new THREE.HemisphereLight(0xffffff, 0x8a8f99, 1.6));
const sun = new THREE.DirectionalLight(0xffffff, 1.8);
sun.position.set(-0.6, -1, 1.4);
scene.add(sun);
const group = new THREE.Group();
scene.add(group);
const palette = [0x4f8fd6, 0xe0913b, 0x58a55c, 0xc95c8c, 0x8a6fd1, 0x3fa7a2, 0xc4a43a, 0xd0604d];
// Shared by every set: a new set brings new geometry, nothing else.
const materials = palette.map((color) => new THREE.MeshStandardMaterial({ color, flatShading: true, roughness: 0.7 }));

function resize() {
  const { clientWidth: w, clientHeight: h } = canvas.parentElement;
  renderer.setSize(w, h, false);
  camera.aspect = w / Math.max(h, 1);
  camera.updateProjectionMatrix();
  render();
}
function render() {
  const t0 = performance.now();
  renderer.render(scene, camera);
  window.__gridflock.renderMs = performance.now() - t0;
}
let renderQueued = false;
const afterRender = [];
function requestRender(then) {
  if (then) afterRender.push(then);
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
    for (const f of afterRender.splice(0)) f();
  });
}
// Moving the camera for a new set must not draw the half-built scene.
let cameraMovesQuietly = false;
controls.addEventListener('change', () => {
  if (!cameraMovesQuietly) requestRender();
});
new ResizeObserver(resize).observe(canvas.parentElement);

// Materials and label textures are shared between sets; only geometry goes.
function clearScene() {
  for (const obj of [...group.children]) {
    group.remove(obj);
    obj.traverse((o) => {
      if (o.isMesh) o.geometry.dispose();
    });
  }
}

// Plate number -> sprite material. Drawing every label again and uploading
// it as a texture was about half of what the first frame of a new set cost
// this thread, and more again in a software rasterizer.
const labelMaterials = new Map();

function label(text) {
  let material = labelMaterials.get(text);
  if (!material) {
    material = new THREE.SpriteMaterial({ map: labelTexture(text), depthTest: false });
    labelMaterials.set(text, material);
  }
  const sprite = new THREE.Sprite(material);
  sprite.scale.set(22, 22, 1);
  sprite.renderOrder = 1;
  return sprite;
}

function labelTexture(text) {
  const c = document.createElement('canvas');
  c.width = c.height = 128;
  const g = c.getContext('2d');
  g.fillStyle = 'rgba(255,255,255,0.9)';
  g.beginPath();
  g.arc(64, 64, 56, 0, Math.PI * 2);
  g.fill();
  g.fillStyle = '#1d2330';
  g.font = 'bold 72px system-ui, sans-serif';
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText(text, 64, 68);
  return new THREE.CanvasTexture(c);
}

function placement(info) {
  const exploded = $('exploded').checked;
  const gap = exploded ? EXPLODE_GAP_MM : 0;
  return [info.originMm[0] + info.column * gap, info.originMm[1] + info.row * gap];
}

function layout() {
  for (const obj of group.children) {
    const info = obj.userData.info;
    const [x, y] = placement(info);
    obj.position.set(x, y, 0);
  }
  frame();
}

// Frames the whole set from the plan alone (no need to walk the vertices).
function frame({ draw = true } = {}) {
  if (!state.plan) return;
  const box = new THREE.Box3();
  for (const info of state.plan.plates) {
    const [x, y] = placement(info);
    box.expandByPoint(new THREE.Vector3(x, y, 0));
    box.expandByPoint(new THREE.Vector3(x + info.extentMm[0], y + info.extentMm[1], state.plan.heightMm));
  }
  const center = box.getCenter(new THREE.Vector3());
  const size = box.getSize(new THREE.Vector3()).length();
  controls.target.copy(center);
  camera.position.set(center.x, center.y - size * 0.9, center.z + size * 0.85);
  camera.near = size / 100;
  camera.far = size * 10;
  camera.updateProjectionMatrix();
  cameraMovesQuietly = !draw;
  controls.update();
  cameraMovesQuietly = false;
  if (draw) requestRender();
}

function addPlate(index, positions, indices) {
  const info = state.plan.plates[index];
  const geometry = new THREE.BufferGeometry();
  geometry.setAttribute('position', new THREE.BufferAttribute(positions, 3));
  geometry.setIndex(new THREE.BufferAttribute(indices, 1));
  const plate = new THREE.Group();
  plate.add(new THREE.Mesh(geometry, materials[index % materials.length]));
  const tag = label(String(info.number));
  tag.position.set(info.sizeMm[0] / 2, info.sizeMm[1] / 2, 16);
  plate.add(tag);
  plate.userData.info = info;
  const [x, y] = placement(info);
  plate.position.set(x, y, 0);
  group.add(plate);
}

// ---- form and worker ---------------------------------------------------------
function options() {
  const num = (id) => {
    const v = $(id).value.trim();
    return v === '' ? Number.NaN : Number(v);
  };
  return {
    width_mm: num('width'),
    height_mm: num('height'),
    printer: $('printer').value,
    connector: $('connector').value,
    magnets: $('magnets').value,
  };
}

const fieldInputs = { width_mm: 'width', height_mm: 'height', 'printer.id': 'printer', connector: 'connector', magnets: 'magnets' };
const fieldLabels = {
  width_mm: 'Width', height_mm: 'Height', 'printer.id': 'Printer',
  'printer.bed_x_mm': 'Printer bed (x)', 'printer.bed_y_mm': 'Printer bed (y)',
  connector: 'Connector', magnets: 'Magnets',
};

function showIssues(issues) {
  const box = $('errors');
  for (const input of document.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  if (!issues || issues.length === 0) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const list = document.createElement('ul');
  for (const issue of issues) {
    const li = document.createElement('li');
    const name = fieldLabels[issue.field] || issue.field;
    li.textContent = `${name}: ${issue.value} is not allowed (allowed: ${issue.allowed}).`;
    li.dataset.field = issue.field;
    list.append(li);
    const input = fieldInputs[issue.field] && $(fieldInputs[issue.field]);
    if (input) input.setAttribute('aria-invalid', 'true');
  }
  box.replaceChildren(list);
  box.hidden = false;
}

function setStatus(text, status) {
  $('status').textContent = text;
  window.__gridflock.status = status;
}

// The input events of one task (a paste, a form reset) make one request. No
// debounce beyond that: workers drop a stale request between two plates and
// the page ignores stale answers, so each keystroke can start at once.
let timer = 0;
function schedule() {
  if (!timer) state.inputAt = performance.now();
  clearTimeout(timer);
  timer = setTimeout(request);
}

function request() {
  timer = 0;
  state.id += 1;
  state.requestedAt = performance.now();
  if (!state.inputAt) state.inputAt = state.requestedAt;
  state.partsDone = 0;
  state.coreMs = 0;
  state.firstPlateMs = null;
  state.early = [];
  state.complete = false;
  window.__gridflock.id = state.id;
  const id = state.id;
  setTimeout(() => {
    if (id === state.id && !state.complete) requestRender();
  }, PROGRESSIVE_AFTER_MS);
  setStatus('Generating…', 'busy');
  const opts = options();
  workers.forEach((w, k) => w.postMessage({ type: 'generate', id: state.id, options: opts, worker: k, workers: POOL }));
}

function renderPlateList() {
  const list = $('plates');
  list.replaceChildren();
  for (const [i, info] of state.plan.plates.entries()) {
    const li = document.createElement('li');
    const [w, h] = info.sizeMm;
    const built = state.plates[i];
    li.append(`Plate ${info.number}: ${w} × ${h} mm${built ? `, ${built.triangles.toLocaleString('en')} triangles ` : ' '}`);
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.textContent = 'STL';
    btn.dataset.plate = String(info.number);
    btn.disabled = !built;
    btn.addEventListener('click', () => downloadStl(i));
    li.append(btn);
    list.append(li);
  }
}

function downloadStl(index) {
  const request = state.nextRequest++;
  const info = state.plan.plates[index];
  state.stlRequests.set(request, info.fileName);
  workers[state.owner[index] || 0].postMessage({ type: 'stl', id: state.id, index, request });
}

function save(bytes, name, type) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function onWorkerMessage(event) {
  const msg = event.data;
  if (msg.type === 'printers') {
    const select = $('printer');
    for (const p of msg.printers) {
      const opt = new Option(`${p.name} (${p.bedMm[0]} × ${p.bedMm[1]})`, p.id);
      select.append(opt);
    }
    select.value = 'bambu-a1';
    state.inputAt = performance.now();
    request();
    return;
  }
  if (msg.type === 'threemf') {
    $('download-3mf').disabled = !state.plan;
    if (msg.error) $('note-3mf').textContent = `3MF download failed: ${msg.error}`;
    else save(msg.bytes, msg.name, 'model/3mf');
    return;
  }
  if (msg.type === 'stl') {
    const name = state.stlRequests.get(msg.request);
    state.stlRequests.delete(msg.request);
    if (msg.error) setStatus(`STL download failed: ${msg.error}`, window.__gridflock.status);
    else save(msg.bytes, name, 'model/stl');
    return;
  }
  if (msg.id !== state.id) return; // a stale answer
  const g = window.__gridflock;
  switch (msg.type) {
    case 'invalid':
      if (state.planId === msg.id) break; // another worker already reported it
      state.planId = msg.id;
      state.inputAt = 0;
      $('download-3mf').disabled = true;
      showIssues(msg.issues);
      setStatus('Fix the highlighted input to update the preview.', 'invalid');
      g.sku = null;
      g.plateCount = 0;
      break;
    case 'plan':
      if (state.planId === msg.id) break; // every worker plans; the first answer wins
      state.planId = msg.id;
      $('download-3mf').disabled = true;
      showIssues([]);
      state.plan = msg.plan;
      state.plates = [];
      clearScene();
      $('sku').textContent = msg.plan.sku;
      $('plate-count').textContent = String(msg.plan.plateCount);
      $('triangles').textContent = '…';
      $('progress').max = msg.plan.plateCount;
      $('progress').value = 0;
      g.sku = msg.plan.sku;
      g.plateCount = msg.plan.plateCount;
      g.triangles = 0;
      state.owner = [];
      renderPlateList();
      // The new set is drawn once its plates are in (or progressively, if
      // they are slow to come): until then the old picture stays up.
      frame({ draw: false });
      for (const early of state.early.splice(0)) onWorkerMessage({ data: early });
      break;
    case 'plate': {
      if (state.planId !== msg.id) {
        state.early.push(msg); // arrived before the plan from another worker
        break;
      }
      if (state.firstPlateMs === null) state.firstPlateMs = performance.now() - state.inputAt;
      state.owner[msg.index] = msg.worker;
      state.plates[msg.index] = { triangles: msg.triangles };
      addPlate(msg.index, msg.positions, msg.indices);
      g.triangles += msg.triangles;
      $('triangles').textContent = g.triangles.toLocaleString('en');
      const built = state.plates.filter(Boolean).length;
      $('progress').value = built;
      setStatus(`Built ${built} of ${state.plan.plateCount} plates…`, 'busy');
      renderPlateList();
      if (performance.now() - state.requestedAt >= PROGRESSIVE_AFTER_MS) requestRender();
      break;
    }
    case 'part-done': {
      state.coreMs = Math.max(state.coreMs, msg.ms);
      state.partsDone += 1;
      if (state.partsDone < POOL) break;
      state.complete = true;
      const id = msg.id;
      requestRender(() => {
        if (id !== state.id) return;
        const total = performance.now() - state.inputAt;
        g.ms = total;
        if (g.syncFrames) {
          // Tests ask when the pixels exist, not only when the frame was
          // submitted: reading one pixel waits for the rasterizer.
          const gl = renderer.getContext();
          gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
          g.drawnMs = performance.now() - state.inputAt;
        }
        g.coreMs = state.coreMs;
        g.firstPlateMs = state.firstPlateMs;
        $('timing').textContent = `${total.toFixed(0)} ms from input to drawn `
          + `(workers ${state.coreMs.toFixed(0)} ms, first plate built after ${state.firstPlateMs.toFixed(0)} ms, ${POOL} workers)`;
        state.inputAt = 0;
        $('download-3mf').disabled = false;
        setStatus('Ready.', 'ready');
      });
      break;
    }
    case 'failed':
      setStatus(`Generation failed: ${msg.message}`, 'failed');
      break;
    default:
      break;
  }
}
for (const w of workers) w.onmessage = onWorkerMessage;

$('form').addEventListener('input', (e) => {
  if (e.target.id === 'exploded') layout();
  else schedule();
});
$('form').addEventListener('submit', (e) => e.preventDefault());
$('download-3mf').addEventListener('click', () => {
  $('download-3mf').disabled = true;
  $('note-3mf').textContent = '';
  workers[0].postMessage({ type: 'threemf', id: state.id, request: state.nextRequest++ });
});
workers[0].postMessage({ type: 'printers' });
resize();
