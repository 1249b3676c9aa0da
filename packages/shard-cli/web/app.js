// The dataset browser page: summary, charts, paged thumbnails by patient and label, verify with progress.
import { Viewer } from './viewer.js';

const $ = (sel) => document.querySelector(sel);
const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  for (const c of children) e.append(c);
  return e;
};

async function getJson(url, init) {
  const r = await fetch(url, init);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error ?? `${r.status} ${r.statusText}`);
  return body;
}

const state = { patient: null, label: '', page: 0, pages: 1, patPage: 0, patPages: 1, patQuery: '', thumbWindow: 'auto', pageSize: 48 };
let summary;
let viewer;

function fact(name, value, field) {
  const dd = el('dd', { textContent: String(value) });
  if (field) dd.dataset.field = field;
  return [el('dt', { textContent: name }), dd];
}

function showSummary(s) {
  document.title = `shard serve · ${s.name}`;
  $('#name').textContent = s.name;
  const p = s.preprocess;
  const pipeline = `stored ${s.dtype}; size ${p.size}, fit ${p.fit}, kernel ${p.kernel}${p.window ? `, window ${p.window.center},${p.window.width} -> uint8` : ''}`;
  const b = s.build;
  $('#facts').append(
    ...fact('samples', s.samples, 'samples'),
    ...fact('shards', s.shards.length, 'shards'),
    ...fact('shape', s.shape.join(' x '), 'shape'),
    ...fact('dtype', s.dtype, 'dtype'),
    ...fact('record bytes', s.recordBytes, 'recordBytes'),
    ...fact('patients', s.patients, 'patients'),
    ...fact('series', s.series, 'series'),
    ...fact('values', pipeline, 'pipeline'),
    ...fact('build', `${b.inputs} inputs = ${b.written} written + ${b.skipped} skipped; shard size ${b.shardBytes} B; ${b.tool}`, 'build'),
    ...fact('build id', s.buildId, 'buildId'),
    ...fact('reader', s.backend, 'backend'),
  );
  const tbody = $('#labels tbody');
  for (const n of s.labelNames) {
    const count = el('td', { textContent: String(s.positives[n]) });
    count.dataset.label = n;
    tbody.append(el('tr', {}, el('td', { textContent: n }), count, el('td', { textContent: `${s.samples ? ((100 * s.positives[n]) / s.samples).toFixed(1) : '0.0'}%` })));
    $('#label-filter').append(el('option', { value: n, textContent: `${n} (${s.positives[n]})` }));
  }
  $('#chart-prevalence').src = '/api/charts/prevalence.svg';
  $('#chart-cooccurrence').src = '/api/charts/cooccurrence.svg';
  for (const name of Object.keys(s.presets)) $('#thumb-window').append(el('option', { value: name, textContent: `${name} ${s.presets[name].join(',')}` }));
  if (s.split) showSplit(s.split);
}

function showSplit(split) {
  $('#split').hidden = false;
  $('#split-file').textContent = `(${split.file}${split.thisSplit ? `; this dataset: ${split.thisSplit}` : ''})`;
  const body = $('#split-body');
  if (split.error) {
    body.append(el('p', { textContent: `split.json ${split.error}` }));
    return;
  }
  // A `build --split` report: groups, samples and label prevalence per split. Anything else: the JSON.
  const rep = split.report && typeof split.report === 'object' ? split.report : null;
  if (rep && rep.splits && typeof rep.splits === 'object') {
    const labels = Array.isArray(rep.labelNames) ? rep.labelNames : [];
    const row = (name, c) => el('tr', {}, el('td', { textContent: name }), el('td', { textContent: String(c?.groups ?? '') }), el('td', { textContent: String(c?.samples ?? '') }),
      ...labels.map((l) => el('td', { textContent: typeof c?.prevalence?.[l] === 'number' ? `${(100 * c.prevalence[l]).toFixed(1)}%` : '' })));
    const tbody = el('tbody', {}, ...Object.entries(rep.splits).map(([n, c]) => row(n + (n === split.thisSplit ? ' (this)' : ''), c)));
    if (rep.total) tbody.append(row('all', rep.total));
    body.append(el('table', { id: 'split-table' }, el('thead', {}, el('tr', {}, ...['split', 'groups', 'samples', ...labels].map((h) => el('th', { textContent: h })))), tbody));
    const gap = rep.largestDeviation;
    body.append(el('p', { className: 'muted', textContent: `seed ${rep.seed}, grouped by ${rep.groupBy}${rep.stratify ? ', stratified' : ''}${gap ? `; largest prevalence gap ${(100 * gap.deviation).toFixed(2)} points (${gap.label} in ${gap.split})` : ''}` }));
  }
  body.append(el('details', {}, el('summary', { textContent: 'split.json' }), el('pre', { textContent: JSON.stringify(split.report, null, 2).slice(0, 200_000) })));
}

async function loadPatients() {
  const q = new URLSearchParams({ page: String(state.patPage), size: '100' });
  if (state.patQuery) q.set('q', state.patQuery);
  const r = await getJson(`/api/patients?${q}`);
  state.patPages = r.pages;
  const ul = $('#patients');
  ul.replaceChildren(el('li', {}, patientButton(null, `all patients (${summary.samples})`)));
  for (const p of r.items) ul.append(el('li', {}, patientButton(p.id, `${p.id} · ${p.samples}${p.series > 1 ? ` in ${p.series} series` : ''}`)));
  $('#pat-page').textContent = `${r.page + 1} / ${r.pages}`;
}

function patientButton(id, text) {
  const b = el('button', { type: 'button', textContent: text, className: state.patient === id ? 'on' : '' });
  b.dataset.patient = id ?? '';
  b.addEventListener('click', () => {
    state.patient = id;
    state.page = 0;
    for (const x of document.querySelectorAll('#patients button')) x.classList.toggle('on', x === b);
    loadPage();
  });
  return b;
}

let pageRequest = 0;
async function loadPage() {
  const mine = ++pageRequest;
  const q = new URLSearchParams({ page: String(state.page), size: String(state.pageSize) });
  if (state.patient !== null) q.set('patient', state.patient);
  if (state.label) q.set('label', state.label);
  // The page's thumbnail sheet is asked for at once, beside its list: it needs nothing from the list.
  const sheetQuery = new URLSearchParams(q);
  if (state.thumbWindow !== 'auto') sheetQuery.set('window', state.thumbWindow);
  const sheet = fetch(`/api/sheet.png?${sheetQuery}`);
  let r;
  try {
    r = await getJson(`/api/samples?${q}`);
  } catch (err) {
    if (state.page === 0) throw err;
    state.page = 0; // a bookmarked page past the end of a smaller selection: start over
    return loadPage();
  }
  if (mine !== pageRequest) return; // a later click already asked for another page
  state.pages = r.pages;
  state.page = r.page;
  const url = new URL(location.href);
  if (r.page > 0) url.searchParams.set('page', String(r.page + 1));
  else url.searchParams.delete('page');
  history.replaceState(null, '', url);
  $('#page-info').textContent = `page ${r.page + 1} / ${r.pages} · ${r.total} samples`;
  $('#prev-page').disabled = r.page === 0;
  $('#next-page').disabled = r.page >= r.pages - 1;
  $('#filter-desc').textContent = [state.patient !== null ? `patient ${state.patient}` : '', state.label ? `positive for ${state.label}` : ''].filter(Boolean).join(', ');
  const grid = $('#thumbs');
  const figures = r.items.map((it) => {
    const fig = el('figure', { className: 'thumb', tabIndex: 0, title: it.key }, el('canvas', { width: 1, height: 1 }),
      el('figcaption', {}, el('span', { className: 'key', textContent: it.key }), el('span', { className: it.positive.length ? 'pos' : 'none', textContent: it.positive.length ? it.positive.join(' ') : '—' })));
    fig.dataset.index = String(it.index);
    fig.dataset.key = it.key;
    const open = () => viewer.open(it.index);
    fig.addEventListener('click', open);
    fig.addEventListener('keydown', (e) => e.key === 'Enter' && open());
    return fig;
  });
  grid.replaceChildren(...figures);
  grid.dataset.page = String(r.page);
  delete grid.dataset.loaded;
  await drawSheet(sheet, figures, mine);
  if (mine === pageRequest) grid.dataset.loaded = String(r.page);
}

/** The page's thumbnails come as one sheet (one request, one decode); each cell is copied to its figure's canvas. */
async function drawSheet(sheetResponse, figures, mine) {
  const resp = await sheetResponse;
  if (!resp.ok) {
    for (const f of figures) f.classList.add('bad');
    return;
  }
  const [cw, ch] = resp.headers.get('X-Cell').split(',').map(Number);
  const cols = Number(resp.headers.get('X-Columns'));
  const corrupt = new Set(resp.headers.get('X-Corrupt').split(',').filter(Boolean).map(Number));
  const sheet = await createImageBitmap(await resp.blob());
  if (mine !== pageRequest) return;
  figures.forEach((fig, n) => {
    const canvas = fig.querySelector('canvas');
    canvas.width = cw;
    canvas.height = ch;
    canvas.getContext('2d').drawImage(sheet, (n % cols) * cw, Math.floor(n / cols) * ch, cw, ch, 0, 0, cw, ch);
    if (corrupt.has(Number(fig.dataset.index))) {
      fig.classList.add('bad');
      fig.title = `${fig.dataset.key}: this record fails its checksum (run verify)`;
    }
  });
  sheet.close();
}

function shardRow(s) {
  const result = el('td', { textContent: s.ok ? 'ok' : s.problems.map((p) => `${p.record !== undefined ? `record ${p.record}${p.key ? ` (${p.key})` : ''}: ` : ''}${p.message}`).join('; '), className: s.ok ? 'ok' : 'bad' });
  const tr = el('tr', {}, el('td', { textContent: s.file }), el('td', { textContent: String(s.samples) }), el('td', { textContent: String(s.bytes) }), result);
  tr.dataset.shard = s.file;
  tr.dataset.ok = String(s.ok);
  return tr;
}

function showVerify(s) {
  const progress = $('#verify-progress');
  progress.value = s.bytesTotal ? s.bytesDone / s.bytesTotal : s.state === 'done' ? 1 : 0;
  const status = $('#verify-status');
  status.dataset.state = s.state;
  $('#verify-run').disabled = s.state === 'running';
  if (s.state === 'running') status.textContent = `checking… ${(s.bytesDone / 1048576).toFixed(1)} of ${(s.bytesTotal / 1048576).toFixed(1)} MiB`;
  else if (s.state === 'failed') status.textContent = `verify could not run: ${s.error}`;
  else if (s.state === 'done') {
    status.textContent = `${s.ok ? 'intact' : `DAMAGED: ${s.shards.filter((x) => !x.ok).length} bad shard(s), ${s.other.length} other problem(s)`} · ${s.seconds.toFixed(2)} s, ${s.mbPerSec.toFixed(0)} MB/s`;
    status.dataset.ok = String(s.ok);
    $('#verify-shards tbody').replaceChildren(...s.shards.map(shardRow));
    $('#verify-other').replaceChildren(...[...s.other, ...s.warnings.map((w) => ({ ...w, message: `warning: ${w.message}` }))].map((p) => el('li', { textContent: `${p.file ?? p.shard ?? ''}: ${p.message}` })));
  }
}

function runVerify() {
  // Server-sent events: the server pushes progress; the stream ends with the result.
  fetch('/api/verify', { method: 'POST' }).then(() => {
    const es = new EventSource('/api/verify/events');
    const on = (e) => {
      const s = JSON.parse(e.data);
      showVerify(s);
      if (s.state === 'done' || s.state === 'failed') es.close();
    };
    for (const t of ['progress', 'done', 'failed', 'idle']) es.addEventListener(t, on);
  });
}

async function start() {
  const params = new URLSearchParams(location.search);
  const size = Number(params.get('pageSize'));
  if (Number.isInteger(size) && size >= 1 && size <= 500) state.pageSize = size;
  const first = Number(params.get('page'));
  if (Number.isInteger(first) && first >= 1) state.page = first - 1; // ?page=N is 1-based, as the pager shows it
  // The first page of thumbnails does not wait for the summary: both are asked for at once.
  const firstPage = loadPage();
  summary = await getJson('/api/summary');
  showSummary(summary);
  viewer = new Viewer(summary);
  $('#prev-page').addEventListener('click', () => { if (state.page > 0) { state.page--; loadPage(); } });
  $('#next-page').addEventListener('click', () => { if (state.page < state.pages - 1) { state.page++; loadPage(); } });
  $('#pat-prev').addEventListener('click', () => { if (state.patPage > 0) { state.patPage--; loadPatients(); } });
  $('#pat-next').addEventListener('click', () => { if (state.patPage < state.patPages - 1) { state.patPage++; loadPatients(); } });
  $('#patient-q').addEventListener('input', (e) => { state.patQuery = e.target.value.trim(); state.patPage = 0; loadPatients(); });
  $('#label-filter').addEventListener('change', (e) => { state.label = e.target.value; state.page = 0; loadPage(); });
  $('#thumb-window').addEventListener('change', (e) => { state.thumbWindow = e.target.value; loadPage(); });
  $('#verify-run').addEventListener('click', runVerify);
  await Promise.all([firstPage, loadPatients()]);
  const v = await getJson('/api/verify');
  if (v.state !== 'idle') showVerify(v);
  document.body.dataset.ready = 'true';
}

start().catch((err) => {
  document.body.prepend(el('p', { className: 'error', textContent: `could not load the dataset: ${err.message}` }));
});
