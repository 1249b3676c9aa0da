// Samples grouped as a reader of the data browses them: by patient (first folder) and series (folder), slices in order.

/** Patient of a key: its first folder; keys directly under the input root form the patient ".". */
export function patientOfKey(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '.' : key.slice(0, slash);
}

/** Series of a key: its folder (slices of one folder are one series in a PNG tree). */
export function folderOfKey(key: string): string {
  const slash = key.lastIndexOf('/');
  return slash < 0 ? '.' : key.slice(0, slash);
}

/** Digit runs padded so that plain string order is natural order (slice_2 before slice_10). */
function naturalKey(key: string): string {
  return key
    .split('/')
    .map((part) => part.replace(/\d+/g, (d) => d.replace(/^0+(?=\d)/, '').padStart(16, '0')))
    .join('\u0000'); // below every character a key can hold, so folder paths sort as tuples
}

export interface PatientEntry {
  id: string;
  samples: number;
  series: number;
  /** Position of its first sample in `order`; its samples are order[start .. start + samples). */
  start: number;
}

export class Catalog {
  /** Every sample index in browse order: patient, then series, then slice, each in natural order. */
  readonly order: Uint32Array;
  /** Sample index -> position in `order`. */
  readonly position: Uint32Array;
  readonly patients: PatientEntry[];
  private readonly patientById: Map<string, PatientEntry>;

  constructor(readonly keys: readonly string[]) {
    const n = keys.length;
    const sortKeys = keys.map(naturalKey);
    let order = Uint32Array.from({ length: n }, (_, i) => i);
    // Keys are stored sorted; with zero-padded names that already is natural order and no sort is needed.
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) sorted = sortKeys[i - 1] < sortKeys[i];
    if (!sorted) order = order.sort((a, b) => (sortKeys[a] < sortKeys[b] ? -1 : sortKeys[a] > sortKeys[b] ? 1 : 0));
    this.order = order;
    this.position = new Uint32Array(n);
    for (let p = 0; p < n; p++) this.position[order[p]] = p;

    this.patients = [];
    let folder = '';
    for (let p = 0; p < n; p++) {
      const key = keys[order[p]];
      const id = patientOfKey(key);
      let last = this.patients.at(-1);
      if (!last || last.id !== id) {
        last = { id, samples: 0, series: 0, start: p };
        this.patients.push(last);
        folder = '';
      }
      last.samples++;
      const f = folderOfKey(key);
      if (f !== folder) {
        last.series++;
        folder = f;
      }
    }
    this.patientById = new Map(this.patients.map((e) => [e.id, e]));
  }

  patient(id: string): PatientEntry | undefined {
    return this.patientById.get(id);
  }

  /** Sample indices of one patient in browse order. */
  samplesOf(id: string): Uint32Array | undefined {
    const e = this.patientById.get(id);
    return e && this.order.subarray(e.start, e.start + e.samples);
  }

  /** The previous and next slice of sample `i` within its series (folder), or null at either end. */
  neighbours(i: number): { prev: number | null; next: number | null } {
    const p = this.position[i];
    const folder = folderOfKey(this.keys[i]);
    const at = (q: number) => (q >= 0 && q < this.order.length && folderOfKey(this.keys[this.order[q]]) === folder ? this.order[q] : null);
    return { prev: at(p - 1), next: at(p + 1) };
  }
}

/** Names (and values other than 1) of the labels sample `i` is positive for. */
export function positiveLabels(labels: Float32Array, labelNames: readonly string[], i: number): string[] {
  const L = labelNames.length;
  const out: string[] = [];
  for (let j = 0; j < L; j++) {
    const v = labels[i * L + j];
    if (v > 0) out.push(v === 1 ? labelNames[j] : `${labelNames[j]}=${Number(v.toPrecision(4))}`);
  }
  return out;
}
