// Decodes a DICOM file into one MedicalSlice per frame: stored values, modality values and metadata.
import { InputError } from '../errors.js';
import { decodeJpeg2000 } from './codecs/jpeg2000.js';
import { decodeJpegBaseline } from './codecs/jpeg-baseline.js';
import { decodeJpegLossless } from './codecs/jpeg-lossless.js';
import { decodeJpegLs } from './codecs/jpeg-ls.js';
import type { DecodedFrame, RawSamples } from './codecs/raw-samples.js';
import { decodeRle } from './codecs/rle.js';
import { expandYbr422, interleavePlanes, ybrFullToRgb } from './colour.js';
import { encapsulatedFrames, nativeFrames } from './dicom-frames.js';
import { parseDicomBytes, readImageHeader, type DicomImageHeader } from './dicom-header.js';
import { frameAttributes, text } from './dicom-meta.js';
import { applyModalityLut, readModalityLut, type ModalityLut } from './modality-lut.js';
import { toModality, toStored, type SampleFormat } from './samples.js';
import type { MedicalMeta, MedicalSlice } from './types.js';
import { indexSuffix } from './sample-suffix.js';

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Native pixel bytes as samples of BitsAllocated width, swapping bytes for explicit VR big endian. */
function nativeSamples(bytes: Uint8Array, h: DicomImageHeader): RawSamples {
  const width = h.bitsAllocated / 8;
  if (width === 1) return bytes;
  if (!h.syntax.bigEndian && LITTLE_ENDIAN_HOST) {
    // One copy into an aligned buffer, then a typed view: no per-sample work.
    const own = bytes.slice();
    return width === 2 ? new Uint16Array(own.buffer) : new Uint32Array(own.buffer);
  }
  const count = bytes.length / width;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const little = !h.syntax.bigEndian;
  if (width === 2) {
    const out = new Uint16Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getUint16(2 * i, little);
    return out;
  }
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getUint32(4 * i, little);
  return out;
}

function decodeNative(bytes: Uint8Array, h: DicomImageHeader): DecodedFrame {
  const base = { width: h.columns, height: h.rows, components: h.samplesPerPixel, colourConverted: false };
  if (h.photometric === 'YBR_FULL_422') {
    return { ...base, samples: expandYbr422(bytes, h.rows, h.columns) };
  }
  return { ...base, samples: nativeSamples(bytes, h) };
}

async function decodeFrame(file: string, bytes: Uint8Array, h: DicomImageHeader): Promise<DecodedFrame> {
  const pixels = h.rows * h.columns;
  try {
    switch (h.syntax.codec) {
      case 'native': {
        const frame = decodeNative(bytes, h);
        // Planar data is planes of whole samples; YBR_FULL_422 is always pixel-interleaved.
        if (h.samplesPerPixel === 3 && h.planarConfiguration === 1 && h.photometric !== 'YBR_FULL_422') frame.samples = interleavePlanes(frame.samples, pixels);
        return frame;
      }
      case 'rle':
        return decodeRle(bytes, h);
      case 'jpeg-baseline':
        return await decodeJpegBaseline(bytes, h.photometric);
      case 'jpeg-lossless':
        return decodeJpegLossless(bytes, h);
      case 'jpeg-ls': {
        const frame = await decodeJpegLs(bytes, h.pixelRepresentation === 1);
        if (frame.planar) frame.samples = interleavePlanes(frame.samples, pixels);
        return frame;
      }
      case 'jpeg2000':
        return await decodeJpeg2000(bytes);
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    // The WASM codecs throw C++ exceptions as bare numbers (pointers), which carry no text.
    const reason = error instanceof Error ? error.message : typeof error === 'number' ? 'the codec rejected the data (corrupt or unsupported stream)' : String(error);
    throw new InputError(file, `${h.syntax.name} decode failed: ${reason}`);
  }
}

const YBR_FULL = new Set(['YBR_FULL', 'YBR_FULL_422']);

/** The decoded frame must be the image the header describes; then colour ends as RGB. */
function checkAndConvert(file: string, frame: DecodedFrame, h: DicomImageHeader): RawSamples {
  if (frame.width !== h.columns || frame.height !== h.rows || frame.components !== h.samplesPerPixel) {
    throw new InputError(file, `decoded ${frame.width} x ${frame.height} x ${frame.components} does not match the header's ${h.columns} x ${h.rows} x ${h.samplesPerPixel}`);
  }
  if (frame.samples.length !== h.rows * h.columns * h.samplesPerPixel) throw new InputError(file, `decoded ${frame.samples.length} samples for ${h.rows * h.columns * h.samplesPerPixel}`);
  if (h.samplesPerPixel === 1 || frame.colourConverted || h.photometric === 'RGB') return frame.samples;
  if (YBR_FULL.has(h.photometric) && frame.samples instanceof Uint8Array) return ybrFullToRgb(frame.samples);
  throw new InputError(file, `${h.photometric} colour with ${h.bitsAllocated}-bit ${h.syntax.name} data is not supported`);
}

function sampleFormat(frame: DecodedFrame, h: DicomImageHeader): SampleFormat {
  const format = { bitsAllocated: h.bitsAllocated, bitsStored: h.bitsStored, signed: h.pixelRepresentation === 1 };
  // A J2K codestream that is unsigned while the header says signed: read its samples as two's
  // complement of the codestream's own precision (pydicom's default correction, APPLY_J2K_CORRECTIONS).
  const cs = frame.codestream;
  if (cs && format.signed && !cs.signed && cs.precision <= h.bitsAllocated) format.bitsStored = cs.precision;
  return format;
}

function frameMeta(file: string, h: DicomImageHeader, frame: number, lut: ModalityLut | undefined): MedicalMeta {
  const ds = h.dataSet;
  const a = frameAttributes(ds, frame);
  const colour = h.samplesPerPixel === 3;
  const meta: MedicalMeta = {
    source: file,
    format: 'dicom',
    photometricInterpretation: h.photometric,
    transferSyntaxUid: h.syntax.uid,
    bitsStored: h.bitsStored,
    patientId: text(ds, 'x00100020'),
    studyInstanceUid: text(ds, 'x0020000d'),
    seriesInstanceUid: text(ds, 'x0020000e'),
    sopInstanceUid: text(ds, 'x00080018'),
    instanceNumber: ds.intString('x00200013'),
    imagePositionPatient: a.imagePositionPatient,
    imageOrientationPatient: a.imageOrientationPatient,
    pixelSpacing: a.pixelSpacing,
    sliceThickness: a.sliceThickness,
    windowCenter: a.windowCenter,
    windowWidth: a.windowWidth,
    // Rescale is defined for greyscale only; colour samples are their own values. A Modality LUT
    // replaces the rescale (pydicom's precedence too).
    rescaleSlope: colour || lut ? 1 : a.rescaleSlope,
    rescaleIntercept: colour || lut ? 0 : a.rescaleIntercept,
  };
  if (lut) meta.modalityLut = true;
  if (h.photometric === 'MONOCHROME1') meta.invertForDisplay = true;
  if (h.frames > 1) meta.frame = frame;
  for (const key of Object.keys(meta) as (keyof MedicalMeta)[]) if (meta[key] === undefined || Number.isNaN(meta[key])) delete meta[key];
  return meta;
}

/** One result per frame, decoded lazily so a large multi-frame object is never held decoded whole. */
export async function* decodeDicom(file: string, bytes: Uint8Array): AsyncGenerator<MedicalSlice> {
  // A plain Uint8Array view: dicom-parser and the codecs then never meet Buffer's view-returning slice().
  const plain = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = readImageHeader(file, parseDicomBytes(file, plain));
  const frames = h.syntax.codec === 'native' ? nativeFrames(file, h) : encapsulatedFrames(file, h);
  let lut: ModalityLut | undefined;
  try {
    lut = h.samplesPerPixel === 1 ? readModalityLut(h.dataSet, h.pixelRepresentation) : undefined;
  } catch (error) {
    throw new InputError(file, (error as Error).message);
  }
  for (let i = 0; i < frames.length; i++) {
    const decoded = await decodeFrame(file, frames[i], h);
    const stored = toStored(checkAndConvert(file, decoded, h), sampleFormat(decoded, h));
    const meta = frameMeta(file, h, i, lut);
    let modality: Float32Array | undefined;
    yield {
      suffix: h.frames > 1 ? indexSuffix('f', i, h.frames) : '',
      width: h.columns,
      height: h.rows,
      channels: h.samplesPerPixel,
      stored,
      // Computed on first use: the build maps most CT/MR straight from the stored values (medical-slices.ts).
      get modality() {
        return (modality ??= lut ? applyModalityLut(stored, lut) : toModality(stored, meta.rescaleSlope, meta.rescaleIntercept));
      },
      meta,
    };
  }
}
