// The few top-level DICOM elements discovery reads (identity, frame count, position), found by walking only
// the element headers of a Part 10 file up to its pixel data. dicom-parser's whole parse builds an object for
// every element of every sequence (220-320 us for a 270-element CT slice here, half the slice's decode; this
// walk ~20 us: scripts/bench/writer-micro.ts); discovery needs eight tags. Anything this walk is not sure of gives undefined, and the caller parses the
// file with dicom-parser as before: big endian, deflated, no preamble, enhanced multi-frame functional
// groups, undefined lengths other than sequences, anything cut short.
import dicomParser, { type ByteArrayParser, type DataSet, type Element } from 'dicom-parser';

/** dicom-parser's DataSet class: exported at run time, missing from its type declarations. */
const DataSetClass = (dicomParser as unknown as { DataSet: new (parser: ByteArrayParser, bytes: Uint8Array, elements: Record<string, Element>) => DataSet }).DataSet;

/** SOPInstanceUID, PatientID, Study/Series Instance UID, InstanceNumber, ImagePosition/OrientationPatient, NumberOfFrames. */
const WANTED = new Set([0x00080018, 0x00100020, 0x0020000d, 0x0020000e, 0x00200013, 0x00200032, 0x00200037, 0x00280008]);
/** Shared and per-frame functional groups: their attributes live inside items, which this walk does not read. */
const FUNCTIONAL_GROUPS = new Set([0x52009229, 0x52009230]);
const PIXEL_DATA = 0x7fe00010;
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQUENCE_END = 0xfffee0dd;
const UNDEFINED = 0xffffffff;
const MAX_DEPTH = 16;

/** Thrown inside the walk when it is not sure; caught below. */
const UNSURE = Symbol('unsure');

/**
 * A dicom-parser DataSet holding only the wanted top-level elements of `bytes` (a whole Part 10 file,
 * little endian), or undefined when the walk is not sure (then parse it whole).
 */
export function quickHeadDataSet(bytes: Uint8Array): DataSet | undefined {
  try {
    return new Walk(bytes).file();
  } catch (err) {
    if (err === UNSURE) return undefined;
    throw err;
  }
}

/** Explicit VRs with a 4-byte length, as dicom-parser 1.8 reads them (OB OD OL OW SQ OF UC UR UT UN), by their two bytes. */
const LONG_VR_CODES = new Set(['OB', 'OD', 'OL', 'OW', 'SQ', 'OF', 'UC', 'UR', 'UT', 'UN'].map((v) => (v.charCodeAt(0) << 8) | v.charCodeAt(1)));
const SQ = (0x53 << 8) | 0x51;
const UN = (0x55 << 8) | 0x4e;

/** Walks element headers; the last header read is in tag/vr/length/value (no object per element: this runs ~300 times a file). */
class Walk {
  private tag = 0;
  /** The VR's two bytes, or 0 in implicit VR and for item tags. */
  private vr = 0;
  private length = 0;
  private value = 0;

  constructor(private readonly b: Uint8Array) {}

  file(): DataSet {
    const b = this.b;
    if (b.length < 132 || b[128] !== 0x44 || b[129] !== 0x49 || b[130] !== 0x43 || b[131] !== 0x4d) throw UNSURE;
    // File meta group: always explicit VR little endian.
    let p = 132;
    let syntax: string | undefined;
    while (p + 8 <= b.length && this.u16(p) === 0x0002) {
      this.header(p, false);
      if (this.length === UNDEFINED) throw UNSURE;
      if (this.tag === 0x00020010) syntax = this.fixedString(this.value, this.length);
      p = this.end();
    }
    // dicom-parser compares the UID as read (up to a NUL, not trimmed): the same test decides the same syntax.
    if (syntax === undefined || syntax === '1.2.840.10008.1.2.2' || syntax === '1.2.840.10008.1.2.1.99') throw UNSURE;
    const implicit = syntax === '1.2.840.10008.1.2';
    const elements: Record<string, Element> = {};
    while (p < b.length) {
      this.header(p, implicit);
      const tag = this.tag;
      if (tag === PIXEL_DATA) {
        // Pixel data cut short: the whole parse refuses the file, so this walk must not vouch for it.
        if (this.length !== UNDEFINED) this.end();
        return new DataSetClass(dicomParser.littleEndianByteArrayParser, b, elements);
      }
      if (FUNCTIONAL_GROUPS.has(tag)) throw UNSURE;
      if (this.length === UNDEFINED) {
        if (WANTED.has(tag)) throw UNSURE;
        p = this.skipUndefined(implicit, 0);
        continue;
      }
      if (WANTED.has(tag)) {
        const key = `x${tag.toString(16).padStart(8, '0')}`;
        elements[key] = { tag: key, ...(this.vr ? { vr: String.fromCharCode(this.vr >> 8, this.vr & 0xff) } : {}), length: this.length, dataOffset: this.value };
      }
      p = this.end();
    }
    throw UNSURE; // no pixel data: not an image (the whole parse says why)
  }

  private header(p: number, implicit: boolean): void {
    const b = this.b;
    if (p + 8 > b.length) throw UNSURE;
    const tag = ((this.u16(p) << 16) | this.u16(p + 2)) >>> 0;
    this.tag = tag;
    if (implicit || tag === ITEM || tag === ITEM_END || tag === SEQUENCE_END) {
      this.vr = 0;
      this.length = this.u32(p + 4);
      this.value = p + 8;
      return;
    }
    const vr = (b[p + 4] << 8) | b[p + 5];
    this.vr = vr;
    if (!LONG_VR_CODES.has(vr)) {
      this.length = this.u16(p + 6);
      this.value = p + 8;
      return;
    }
    if (p + 12 > b.length) throw UNSURE;
    this.length = this.u32(p + 8);
    this.value = p + 12;
  }

  /** Where the last element read ends, when its length is defined (inside the file, or not sure). */
  private end(): number {
    const end = this.value + this.length;
    if (end > this.b.length) throw UNSURE;
    return end;
  }

  /** Past the last element read, of undefined length: a sequence (explicit SQ, UN holding implicit items, or implicit items). */
  private skipUndefined(implicit: boolean, depth: number): number {
    if (depth > MAX_DEPTH) throw UNSURE;
    const { vr, value } = this;
    if (!implicit && vr === SQ) return this.skipItems(value, false, depth);
    if (!implicit && vr === UN) return this.skipItems(value, true, depth);
    if (implicit && value + 4 <= this.b.length) {
      const next = ((this.u16(value) << 16) | this.u16(value + 2)) >>> 0;
      if (next === ITEM || next === SEQUENCE_END) return this.skipItems(value, true, depth);
    }
    throw UNSURE;
  }

  private skipItems(p: number, implicit: boolean, depth: number): number {
    for (;;) {
      this.header(p, true);
      if (this.tag === SEQUENCE_END) return this.value;
      if (this.tag !== ITEM) throw UNSURE;
      p = this.length === UNDEFINED ? this.skipElements(this.value, implicit, depth + 1) : this.end();
    }
  }

  /** The elements of an item of undefined length, up to and past its delimiter. */
  private skipElements(p: number, implicit: boolean, depth: number): number {
    for (;;) {
      this.header(p, implicit);
      if (this.tag === ITEM_END) return this.value;
      p = this.length === UNDEFINED ? this.skipUndefined(implicit, depth) : this.end();
    }
  }

  private u16(p: number): number {
    return this.b[p] | (this.b[p + 1] << 8);
  }

  private u32(p: number): number {
    return (this.b[p] | (this.b[p + 1] << 8) | (this.b[p + 2] << 16) | (this.b[p + 3] << 24)) >>> 0;
  }

  /** dicom-parser's readFixedString: the bytes up to the first NUL, one char each. */
  private fixedString(p: number, length: number): string {
    if (p + length > this.b.length) throw UNSURE;
    let s = '';
    for (let i = p; i < p + length && this.b[i] !== 0; i++) s += String.fromCharCode(this.b[i]);
    return s;
  }
}
