// Pure model of a synthetic chest-CT phantom: seeded PRNG, per-patient anatomy, per-slice labels and pixels.

/** Disease columns of labels.csv, in order. */
export const LABEL_NAMES = ['atelectasis', 'effusion', 'nodule', 'pneumothorax', 'emphysema'] as const;

/** Stored value = HU + 1024 (the usual CT rescale), so air ~24, soft tissue ~1064, bone ~1700..2500. */
const HU0 = 1024;
const AIR = HU0 - 1000;
const FAT = HU0 - 100;
const SOFT = HU0 + 40;
const FLUID = HU0 + 15;
const BLOOD = HU0 + 50;
const CORTICAL = HU0 + 1100;
const CANCELLOUS = HU0 + 250;
/** Std-dev of the scanner noise, in stored units (HU). */
const NOISE_SIGMA = 14;

/** Seeded PRNG (mulberry32): tiny, fast, and identical on every platform. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed | 0;
  }
  u32(): number {
    const a = (this.state = (this.state + 0x6d2b79f5) | 0);
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  }
  float(): number {
    return this.u32() / 4294967296;
  }
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
}

/** Hashes (seed, ids...) into one 32-bit seed, so each patient and slice has its own independent stream. */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Ellipse in normalised units: the shorter image side spans [-1, 1], y grows downwards (posterior). */
export interface Ellipse {
  cx: number;
  cy: number;
  rx: number;
  ry: number;
}

/** A finding present on slices with z in [z0, z1] (z = 0 at the lung apex, 1 at the base). */
interface Finding {
  z0: number;
  z1: number;
  side: 0 | 1;
}

export interface PatientModel {
  body: Ellipse;
  lungs: [Ellipse, Ellipse];
  lungHU: number;
  atelectasis?: Finding;
  effusion?: Finding & { both: boolean };
  nodule?: Finding & { zc: number; dz: number; r: number; ou: number; ov: number };
  pneumothorax?: Finding & { shrink: number };
  emphysema?: Finding;
}

/** Draws one patient's anatomy and findings; the probabilities keep every label reasonably common. */
export function makePatient(seed: number): PatientModel {
  const rng = new Rng(seed);
  const side = (): 0 | 1 => (rng.chance(0.5) ? 0 : 1);
  const body = { cx: 0, cy: 0.04, rx: rng.range(0.78, 0.88), ry: rng.range(0.55, 0.65) };
  const lung = (sign: number): Ellipse => ({
    cx: sign * rng.range(0.33, 0.38),
    cy: rng.range(-0.05, 0.0),
    rx: rng.range(0.21, 0.25),
    ry: rng.range(0.34, 0.4),
  });
  const model: PatientModel = { body, lungs: [lung(-1), lung(1)], lungHU: HU0 + rng.range(-880, -820) };
  if (rng.chance(0.35)) {
    const z0 = rng.range(0.1, 0.6);
    model.atelectasis = { z0, z1: z0 + rng.range(0.2, 0.45), side: side() };
  }
  if (rng.chance(0.35)) model.effusion = { z0: rng.range(0.4, 0.8), z1: 1, side: side(), both: rng.chance(0.3) };
  if (rng.chance(0.45)) {
    const zc = rng.range(0.15, 0.85);
    const dz = rng.range(0.1, 0.25);
    const a = rng.range(0, 2 * Math.PI);
    const d = rng.range(0, 0.5);
    // Label only where the cut through the sphere is at least half its radius: a visible blob.
    const half = dz * 0.866;
    model.nodule = { z0: zc - half, z1: zc + half, side: side(), zc, dz, r: rng.range(0.035, 0.07), ou: d * Math.cos(a), ov: d * Math.sin(a) };
  }
  if (rng.chance(0.25)) model.pneumothorax = { z0: 0, z1: rng.range(0.3, 0.7), side: side(), shrink: rng.range(0.7, 0.85) };
  if (rng.chance(0.3)) model.emphysema = { z0: 0, z1: rng.range(0.5, 0.9), side: 0 };
  return model;
}

function active(f: Finding | undefined, z: number): f is Finding {
  return f !== undefined && z >= f.z0 && z <= f.z1;
}

/** 0/1 per LABEL_NAMES column for the slice at depth z. */
export function sliceLabels(m: PatientModel, z: number): number[] {
  return [m.atelectasis, m.effusion, m.nodule, m.pneumothorax, m.emphysema].map((f) => (active(f, z) ? 1 : 0));
}

/** Float canvas of stored values; scale = pixels per normalised unit. */
export interface Canvas {
  data: Float32Array;
  width: number;
  height: number;
  scale: number;
}

export function makeCanvas(width: number, height: number): Canvas {
  return { data: new Float32Array(width * height), width, height, scale: Math.min(width, height) / 2 };
}

/** Pixel-space centre and radii of e, plus its clamped row and column ranges. */
function toPixels(c: Canvas, e: Ellipse) {
  const px = c.width / 2 + e.cx * c.scale;
  const py = c.height / 2 + e.cy * c.scale;
  const rx = e.rx * c.scale;
  const ry = e.ry * c.scale;
  return {
    px,
    py,
    rx,
    ry,
    y0: Math.max(0, Math.floor(py - ry)),
    y1: Math.min(c.height - 1, Math.ceil(py + ry)),
    x0: Math.max(0, Math.floor(px - rx)),
    x1: Math.min(c.width - 1, Math.ceil(px + rx)),
  };
}

/** Solid ellipse, written as one `fill` per row (the bulk of the pixels, so it must be cheap). */
function fillEllipse(c: Canvas, e: Ellipse, value: number): void {
  const { px, py, rx, ry, y0, y1 } = toPixels(c, e);
  for (let y = y0; y <= y1; y++) {
    const dy = (y + 0.5 - py) / ry;
    if (dy * dy >= 1) continue;
    const half = rx * Math.sqrt(1 - dy * dy);
    const xa = Math.max(0, Math.ceil(px - half - 0.5));
    const xb = Math.min(c.width - 1, Math.floor(px + half - 0.5));
    if (xb >= xa) c.data.fill(value, y * c.width + xa, y * c.width + xb + 1);
  }
}

/** Soft-edged blob blended towards `target`: lesions without the hard rim a CNN could cheat on. */
function blendBlob(c: Canvas, e: Ellipse, target: number): void {
  const { px, py, rx, ry, y0, y1, x0, x1 } = toPixels(c, e);
  for (let y = y0; y <= y1; y++) {
    const dy = (y + 0.5 - py) / ry;
    for (let x = x0, i = y * c.width + x0; x <= x1; x++, i++) {
      const dx = (x + 0.5 - px) / rx;
      const d2 = dx * dx + dy * dy;
      if (d2 < 1) c.data[i] += (target - c.data[i]) * (1 - d2 * d2);
    }
  }
}

/** Pleural effusion: fluid filling the posterior part of the lung, rising at the edges like a meniscus. */
function fillLungBase(c: Canvas, lung: Ellipse, frac: number, value: number): void {
  const { px, py, rx, ry, y0, y1, x0, x1 } = toPixels(c, lung);
  const level = py + ry * (1 - 2 * frac);
  for (let y = y0; y <= y1; y++) {
    const dy = (y + 0.5 - py) / ry;
    for (let x = x0, i = y * c.width + x0; x <= x1; x++, i++) {
      const dx = (x + 0.5 - px) / rx;
      if (dx * dx + dy * dy < 1 && y + 0.5 > level - ry * 0.4 * dx * dx) c.data[i] = value;
    }
  }
}

/** The lung of `side` at depth z: small at apex and base, widest mid-chest. */
function lungAt(m: PatientModel, side: 0 | 1, z: number): Ellipse {
  const l = m.lungs[side];
  const s = 0.55 + 0.45 * Math.sin(Math.PI * (0.1 + 0.85 * z));
  return { cx: l.cx, cy: l.cy + 0.04 * (z - 0.5), rx: l.rx * (0.8 + 0.2 * s), ry: l.ry * s };
}

/** A collapsed lung keeps its medial-posterior edge; the freed space becomes pleural air. */
function collapse(l: Ellipse, shrink: number): Ellipse {
  const gx = l.rx * (1 - shrink);
  return { cx: l.cx > 0 ? l.cx - gx : l.cx + gx, cy: l.cy + l.ry * (1 - shrink), rx: l.rx * shrink, ry: l.ry * shrink };
}

function paintBody(c: Canvas, m: PatientModel, z: number): void {
  const k = 0.95 + 0.05 * Math.sin(Math.PI * (0.2 + 0.6 * z));
  const b = { ...m.body, rx: m.body.rx * k, ry: m.body.ry * k };
  fillEllipse(c, b, FAT);
  fillEllipse(c, { ...b, rx: b.rx - 0.05, ry: b.ry - 0.05 }, SOFT);
}

function paintLungs(c: Canvas, m: PatientModel, z: number): [Ellipse, Ellipse] {
  const lungs: [Ellipse, Ellipse] = [lungAt(m, 0, z), lungAt(m, 1, z)];
  const hu = active(m.emphysema, z) ? m.lungHU - 60 : m.lungHU;
  for (const side of [0, 1] as const) {
    if (active(m.pneumothorax, z) && m.pneumothorax.side === side) {
      fillEllipse(c, lungs[side], AIR);
      lungs[side] = collapse(lungs[side], m.pneumothorax.shrink);
    }
    fillEllipse(c, lungs[side], hu);
  }
  return lungs;
}

/** Heart (lower chest only) and descending aorta: mediastinal structures at blood density. */
function paintMediastinum(c: Canvas, z: number): void {
  const h = Math.min(1, Math.max(0, (z - 0.35) / 0.3));
  if (h > 0) fillEllipse(c, { cx: 0.04, cy: 0.0, rx: 0.15 * h, ry: 0.13 * h }, BLOOD);
  fillEllipse(c, { cx: 0.09, cy: 0.27, rx: 0.05, ry: 0.05 }, BLOOD);
}

/** Vertebra (cortical ring around cancellous bone, spinal canal behind), sternum and a few ribs. */
function paintBones(c: Canvas, m: PatientModel, z: number): void {
  const vy = m.body.cy + m.body.ry * 0.62;
  fillEllipse(c, { cx: 0, cy: vy, rx: 0.085, ry: 0.075 }, CORTICAL);
  fillEllipse(c, { cx: 0, cy: vy, rx: 0.063, ry: 0.055 }, CANCELLOUS);
  fillEllipse(c, { cx: 0, cy: vy + 0.12, rx: 0.055, ry: 0.05 }, CORTICAL);
  fillEllipse(c, { cx: 0, cy: vy + 0.12, rx: 0.033, ry: 0.03 }, FLUID);
  fillEllipse(c, { cx: 0, cy: m.body.cy - m.body.ry * 0.86, rx: 0.06, ry: 0.025 }, CORTICAL);
  for (let k = 0; k < 10; k++) {
    // Ribs come and go with z, as they cut through the axial plane at an angle.
    if ((z * 3 + k * 0.37) % 1 > 0.6) continue;
    const a = Math.PI * (0.35 + 0.125 * (k % 5)); // from anterior (0) round to posterior (pi)
    const side = k < 5 ? -1 : 1;
    const rib = { cx: side * Math.sin(a) * m.body.rx * 0.87, cy: m.body.cy - Math.cos(a) * m.body.ry * 0.86, rx: 0.03, ry: 0.022 };
    fillEllipse(c, rib, CORTICAL - 300);
  }
}

/** Findings are painted inside the (possibly collapsed) lungs; `rng` places the per-slice emphysema holes. */
function paintFindings(c: Canvas, m: PatientModel, z: number, lungs: [Ellipse, Ellipse], rng: Rng): void {
  const { atelectasis: at, effusion: ef, nodule: no, emphysema: em } = m;
  if (active(at, z)) {
    const l = lungs[at.side];
    // Plate-like atelectasis: a thin dense band across the lower lung, unlike the effusion's crescent.
    blendBlob(c, { cx: l.cx, cy: l.cy + 0.25 * l.ry, rx: 0.7 * l.rx, ry: 0.09 * l.ry }, HU0 + 10);
  }
  if (active(ef, z)) {
    const frac = 0.15 + 0.35 * ((z - ef.z0) / (ef.z1 - ef.z0 || 1));
    for (const side of [0, 1] as const) if (ef.both || side === ef.side) fillLungBase(c, lungs[side], frac, FLUID);
  }
  if (active(no, z)) {
    const l = lungs[no.side];
    const t = (z - no.zc) / no.dz;
    const r = no.r * Math.sqrt(Math.max(0, 1 - t * t));
    blendBlob(c, { cx: l.cx + no.ou * l.rx, cy: l.cy + no.ov * l.ry, rx: r, ry: r }, HU0 + 60);
  }
  if (active(em, z)) {
    for (const l of lungs) {
      for (let k = 8 + (rng.u32() % 9); k > 0; k--) {
        const a = rng.range(0, 2 * Math.PI);
        const d = Math.sqrt(rng.float()) * 0.75;
        const r = rng.range(0.015, 0.04);
        blendBlob(c, { cx: l.cx + d * l.rx * Math.cos(a), cy: l.cy + d * l.ry * Math.sin(a), rx: r, ry: r }, AIR + 10);
      }
    }
  }
}

/** Paints the noise-free slice at depth z (0 = apex, 1 = base) into c. */
export function renderSlice(c: Canvas, m: PatientModel, z: number, rng: Rng): void {
  c.data.fill(AIR);
  paintBody(c, m, z);
  const lungs = paintLungs(c, m, z);
  paintMediastinum(c, z);
  paintFindings(c, m, z, lungs, rng);
  paintBones(c, m, z);
}

/**
 * Adds scanner-like noise and quantises to `out` as round((value + noise) / divisor), clamped to [0, max].
 * Noise is the sum of the four bytes of one PRNG word: near-Gaussian, one PRNG call per pixel.
 */
export function quantize(src: Float32Array, out: Uint8Array | Uint16Array, rng: Rng, divisor: number, max: number): void {
  const k = NOISE_SIGMA / 147.8; // 147.8 = std-dev of a sum of four uniform bytes
  const inv = 1 / divisor;
  for (let i = 0; i < src.length; i++) {
    const r = rng.u32();
    const n = (r & 255) + ((r >>> 8) & 255) + ((r >>> 16) & 255) + (r >>> 24) - 510;
    const v = (src[i] + n * k) * inv + 0.5;
    out[i] = v <= 0 ? 0 : v >= max ? max : v; // typed-array store truncates: with +0.5 that rounds
  }
}

/** Expands 8-bit grey to a slightly warm RGB tint, like screenshots or colour-managed exports. */
export function tintRgb(grey: Uint8Array, out: Uint8Array): void {
  for (let i = 0, j = 0; i < grey.length; i++, j += 3) {
    const g = grey[i];
    out[j] = g;
    out[j + 1] = (g * 240) >>> 8;
    out[j + 2] = (g * 218) >>> 8;
  }
}
