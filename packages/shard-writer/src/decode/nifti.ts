// Decodes a NIfTI-1/2 volume (.nii, .nii.gz) into one MedicalSlice per slice along the third axis.
import { gunzipSync } from 'node:zlib';
import * as nifti from 'nifti-reader-js';
import { InputError } from '../errors.js';
import { toModality } from './samples.js';
import type { MedicalMeta, MedicalSlice, StoredArray } from './types.js';
import { indexSuffix } from './sample-suffix.js';

type ArrayMaker = { bytes: number; make: (n: number) => StoredArray; read: (v: DataView, at: number, little: boolean) => number };

const DATATYPES: Record<number, ArrayMaker & { name: string }> = {
  2: { name: 'uint8', bytes: 1, make: (n) => new Uint8Array(n), read: (v, at) => v.getUint8(at) },
  256: { name: 'int8', bytes: 1, make: (n) => new Int8Array(n), read: (v, at) => v.getInt8(at) },
  4: { name: 'int16', bytes: 2, make: (n) => new Int16Array(n), read: (v, at, le) => v.getInt16(at, le) },
  512: { name: 'uint16', bytes: 2, make: (n) => new Uint16Array(n), read: (v, at, le) => v.getUint16(at, le) },
  8: { name: 'int32', bytes: 4, make: (n) => new Int32Array(n), read: (v, at, le) => v.getInt32(at, le) },
  768: { name: 'uint32', bytes: 4, make: (n) => new Uint32Array(n), read: (v, at, le) => v.getUint32(at, le) },
  16: { name: 'float32', bytes: 4, make: (n) => new Float32Array(n), read: (v, at, le) => v.getFloat32(at, le) },
  64: { name: 'float64', bytes: 8, make: (n) => new Float64Array(n), read: (v, at, le) => v.getFloat64(at, le) },
  // RGB24: three uint8 per voxel, interleaved.
  128: { name: 'rgb24', bytes: 1, make: (n) => new Uint8Array(n), read: (v, at) => v.getUint8(at) },
};

/** nibabel's rule: a slope of 0 or NaN means the stored values are the values (no scaling). */
function scaling(slope: number, inter: number): { slope: number; intercept: number } {
  if (!Number.isFinite(slope) || slope === 0) return { slope: 1, intercept: 0 };
  return { slope, intercept: Number.isFinite(inter) ? inter : 0 };
}

/**
 * Slice k of volume t is the dim[1] x dim[2] image in on-disk order (no reorientation). A 4-D
 * volume gives one sample per slice of each volume, suffix `/t<t>/z<k>`: volume first, so the keys
 * sort in on-disk order (all slices of volume 0 first) and a volume's slices share a folder. Five or more dimensions are refused.
 */
export async function* decodeNifti(file: string, raw: Uint8Array): AsyncGenerator<MedicalSlice> {
  let bytes = raw;
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      bytes = gunzipSync(raw);
    } catch (error) {
      throw new InputError(file, `gzip data is damaged: ${(error as Error).message}`);
    }
  }
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  if (!nifti.isNIFTI(buffer)) throw new InputError(file, 'not a NIfTI-1/2 file (no n+1/n+2 magic)');
  const header = nifti.readHeader(buffer);
  const two = header instanceof nifti.NIFTI2;
  const dims = header.dims.map(Number);
  const rank = dims[0];
  if (rank < 2 || rank > 7) throw new InputError(file, `dim[0] = ${rank} is not a valid number of dimensions`);
  const extent = (i: number) => (i <= rank ? Math.max(1, dims[i]) : 1);
  const [width, height, depth, volumes] = [extent(1), extent(2), extent(3), extent(4)];
  for (let i = 5; i <= rank; i++) if (extent(i) > 1) throw new InputError(file, `${rank}-D volume (dim[${i}] = ${dims[i]}) is not supported: only 3-D and 4-D`);
  const type = DATATYPES[header.datatypeCode];
  if (!type) throw new InputError(file, `NIfTI datatype ${header.datatypeCode} is not supported`);
  const channels = header.datatypeCode === 128 ? 3 : 1;
  // Old writers leave vox_offset 0 in a single .nii: the data then starts right after header + extender.
  const offset = Math.max(Number(header.vox_offset), two ? 544 : 352);
  const sliceValues = width * height * channels;
  const sliceBytes = sliceValues * type.bytes;
  const need = offset + sliceBytes * depth * volumes;
  if (buffer.byteLength < need) throw new InputError(file, `truncated NIfTI: ${buffer.byteLength} bytes, ${need} needed for ${width} x ${height} x ${depth} x ${volumes} ${type.name}`);
  const { slope, intercept } = channels === 1 ? scaling(header.scl_slope, header.scl_inter) : { slope: 1, intercept: 0 };
  const view = new DataView(buffer);
  const little = header.littleEndian;
  // Same byte order as this machine: a slice is one copy, read in its own type.
  const native = little === (new Uint8Array(Uint16Array.of(1).buffer)[0] === 1);
  const voxelSize = header.pixDims.slice(1, 4).map(Number);
  for (let t = 0; t < volumes; t++) {
    for (let k = 0; k < depth; k++) {
      const start = offset + (t * depth + k) * sliceBytes;
      const stored = type.make(sliceValues);
      if (native) new Uint8Array(stored.buffer).set(new Uint8Array(buffer, start, sliceBytes));
      else for (let i = 0; i < sliceValues; i++) stored[i] = type.read(view, start + i * type.bytes, little);
      const meta: MedicalMeta = { source: file, format: 'nifti', k, rescaleSlope: slope, rescaleIntercept: intercept, voxelSize };
      if (volumes > 1) meta.t = t;
      yield {
        suffix: volumes > 1 ? indexSuffix('t', t, volumes) + indexSuffix('z', k, depth) : indexSuffix('z', k, depth),
        width,
        height,
        channels,
        stored,
        modality: toModality(stored, slope, intercept),
        meta,
      };
    }
  }
}
