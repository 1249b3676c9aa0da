// The full-slice viewer: raw values on a canvas with window/level (drag, presets, typed), labels, metadata, neighbours.
import { renderRgba, valuesOf } from './window.js';

const $ = (sel) => document.querySelector(sel);
const GAP_LEVEL = 96; // src/view/tile.ts GAP_LEVEL

export class Viewer {
  constructor(summary) {
    this.summary = summary;
    this.sample = null;
    this.values = null;
    this.c = 0;
    this.w = 1;
    this.loading = 0;
    this.busy = false;
    this.queued = [];
    const presets = $('#presets');
    for (const [name, [c, w]] of Object.entries(summary.presets)) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = name;
      b.dataset.preset = name;
      b.title = `${c},${w}`;
      presets.append(b);
    }
    presets.addEventListener('click', (e) => {
      const name = e.target.dataset?.preset;
      if (!name) return;
      if (name === 'auto') this.autoWindow();
      else this.setWindow(...summary.presets[name]);
    });
    for (const id of ['#wc', '#ww']) $(id).addEventListener('change', () => {
      const c = Number($('#wc').value);
      const w = Number($('#ww').value);
      if (Number.isFinite(c) && Number.isFinite(w) && w >= 1) this.setWindow(c, w);
    });
    $('#v-prev').addEventListener('click', () => this.step('prev'));
    $('#v-next').addEventListener('click', () => this.step('next'));
    $('#v-close').addEventListener('click', () => this.close());
    document.addEventListener('keydown', (e) => {
      if ($('#viewer').hidden || e.target instanceof HTMLInputElement) return;
      if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') this.step('prev');
      else if (e.key === 'ArrowRight' || e.key === 'ArrowDown') this.step('next');
      else if (e.key === 'Escape') this.close();
      else return;
      e.preventDefault();
    });
    this.bindDrag($('#slice'));
  }

  /** Drag on the slice: horizontal motion changes the width, vertical the centre, as in clinical viewers. */
  bindDrag(canvas) {
    let from = null;
    canvas.addEventListener('pointerdown', (e) => {
      from = { x: e.clientX, y: e.clientY, c: this.c, w: this.w };
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!from || !this.sample) return;
      const [lo, hi] = this.sample.range;
      const perPixel = Math.max((hi - lo) / 512, this.integer() ? 1 : 1e-3); // half the value range across 256 px
      this.setWindow(from.c + (e.clientY - from.y) * perPixel, Math.max(1, from.w + (e.clientX - from.x) * perPixel));
    });
    const end = () => (from = null);
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      this.step(e.deltaY > 0 ? 'next' : 'prev');
    }, { passive: false });
  }

  integer() {
    return this.summary.dtype !== 'float32';
  }

  async open(index) {
    const mine = ++this.loading;
    const [sample, raw] = await Promise.all([
      fetch(`/api/sample/${index}`).then((r) => r.json()),
      fetch(`/api/sample/${index}/raw`).then((r) => r.arrayBuffer()),
    ]);
    if (mine !== this.loading) return;
    if (sample.error) throw new Error(sample.error);
    const keepWindow = this.sample !== null && !$('#viewer').hidden && this.userWindow;
    this.sample = sample;
    this.values = valuesOf(raw, sample.dtype);
    $('#viewer').hidden = false;
    $('#viewer').dataset.index = String(index);
    $('#v-key').textContent = sample.key;
    $('#v-pos').textContent = `slice ${sample.slice.position} of ${sample.slice.of} in ${sample.series}`;
    $('#v-prev').disabled = sample.prev === null;
    $('#v-next').disabled = sample.next === null;
    $('#v-range').textContent = `values ${sample.range[0]}..${sample.range[1]} (${sample.dtype}); default window ${sample.defaultWindow.label}`;
    this.fillTable('#v-labels', Object.entries(sample.labels).map(([n, v]) => [n, String(v)]), (tr, [n, v]) => {
      tr.dataset.label = n;
      if (Number(v) > 0) tr.className = 'pos';
    });
    const meta = [
      ['key', sample.key], ['patient', sample.patient], ['series', sample.series],
      ['slice', `${sample.slice.position} / ${sample.slice.of}`],
      ['shard', sample.location.shard], ['record', String(sample.location.record)], ['sample index', String(sample.index)],
      ['shape', sample.shape.join(' x ')], ['dtype', sample.dtype],
      ...(sample.meta && typeof sample.meta === 'object' ? Object.entries(sample.meta).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]) : []),
      ['previous', sample.prev?.key ?? '—'], ['next', sample.next?.key ?? '—'],
    ];
    this.fillTable('#v-meta', meta);
    // Scrolling through a series keeps the window the user chose; a fresh open starts from the default.
    if (keepWindow) this.draw();
    else this.autoWindow();
  }

  fillTable(sel, rows, decorate) {
    $(sel + ' tbody').replaceChildren(...rows.map((row) => {
      const tr = document.createElement('tr');
      for (const cell of row) tr.append(Object.assign(document.createElement('td'), { textContent: cell }));
      decorate?.(tr, row);
      return tr;
    }));
  }

  /** Steps taken while a slice is still loading wait for it: its neighbours are only known once it is here. */
  step(dir) {
    if (this.busy) {
      if (this.queued.length < 8) this.queued.push(dir); // a trackpad's burst of wheel events is not 100 slices
      return;
    }
    const to = this.sample?.[dir];
    if (!to) return;
    this.busy = true;
    this.open(to.index).finally(() => {
      this.busy = false;
      const next = this.queued.shift();
      if (next) this.step(next);
    });
  }

  close() {
    $('#viewer').hidden = true;
    this.queued = [];
    this.loading++;
  }

  autoWindow() {
    const { center: c, width: w } = this.sample.defaultWindow;
    this.userWindow = false;
    this.apply(c, w);
  }

  setWindow(c, w) {
    this.userWindow = true;
    // Integer data: whole-number centre and width, so the numbers shown are exactly the window drawn.
    this.apply(this.integer() ? Math.round(c) : c, this.integer() ? Math.max(1, Math.round(w)) : Math.max(1, w));
  }

  apply(c, w) {
    this.c = c;
    this.w = w;
    $('#wc').value = String(c);
    $('#ww').value = String(w);
    this.draw();
  }

  draw() {
    const canvas = $('#slice');
    const img = renderRgba(this.values, this.sample.shape, this.c, this.w, this.summary.channelGap, GAP_LEVEL);
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.putImageData(new ImageData(img.data, img.width, img.height), 0, 0);
    canvas.dataset.window = `${this.c},${this.w}`;
    // Enlarged by a whole factor to fit the screen (up to 640 px tall), pixels square and sharp (image-rendering: pixelated).
    const scale = Math.max(1, Math.floor(Math.min(640, window.innerHeight - 160) / Math.max(img.height, img.width / 2)));
    canvas.style.width = `${img.width * scale}px`;
    canvas.style.height = `${img.height * scale}px`;
  }
}
