// Cuts a DICOM pixel data element into per-frame byte ranges (native frames, or encapsulated fragments).
import dicomParser from 'dicom-parser';
import { InputError } from '../errors.js';
import type { DicomImageHeader } from './dicom-header.js';

/** Bytes one native frame takes; YBR_FULL_422 keeps two bytes per pixel (chroma shared by pixel pairs). */
export function nativeFrameBytes(h: DicomImageHeader): number {
  const samples = h.photometric === 'YBR_FULL_422' ? 2 : h.samplesPerPixel;
  return h.rows * h.columns * samples * (h.bitsAllocated / 8);
}

export function nativeFrames(file: string, h: DicomImageHeader): Uint8Array[] {
  const { byteArray } = h.dataSet;
  const { dataOffset, length } = h.pixelData;
  const size = nativeFrameBytes(h);
  const have = Math.min(length, byteArray.length - dataOffset);
  if (have < size * h.frames) {
    throw new InputError(file, `truncated pixel data: ${have} bytes, ${size * h.frames} expected for ${h.frames} frame(s) of ${h.rows} x ${h.columns}`);
  }
  return Array.from({ length: h.frames }, (_, i) => byteArray.subarray(dataOffset + i * size, dataOffset + (i + 1) * size));
}

export function encapsulatedFrames(file: string, h: DicomImageHeader): Uint8Array[] {
  const { dataSet, pixelData } = h;
  const fragments = pixelData.fragments ?? [];
  if (!pixelData.encapsulatedPixelData || fragments.length === 0) throw new InputError(file, `${h.syntax.name} pixel data is not encapsulated in fragments`);
  const last = fragments[fragments.length - 1];
  if (last.position + last.length > dataSet.byteArray.length) throw new InputError(file, 'truncated pixel data: the last fragment runs past the end of the file');
  if (h.frames === 1) return [dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, pixelData, 0, fragments.length)];
  // Without an offset table, a fragment per frame is the common case; JPEG frames can be found by their markers.
  let table = pixelData.basicOffsetTable ?? [];
  if (table.length === 0 && fragments.length === h.frames) {
    return fragments.map((_, i) => dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, pixelData, i, 1));
  }
  if (table.length === 0 && h.syntax.codec === 'jpeg2000') return jpeg2000Frames(file, h);
  if (table.length === 0) {
    if (h.syntax.codec !== 'jpeg-baseline' && h.syntax.codec !== 'jpeg-lossless' && h.syntax.codec !== 'jpeg-ls') {
      throw new InputError(file, `${fragments.length} fragments for ${h.frames} frames and no basic offset table: frames cannot be told apart`);
    }
    // JPEG, JPEG lossless and JPEG-LS frames each begin with an SOI marker.
    table = dicomParser.createJPEGBasicOffsetTable(dataSet, pixelData, fragments);
  }
  if (table.length < h.frames) throw new InputError(file, `basic offset table has ${table.length} entries for ${h.frames} frames`);
  return Array.from({ length: h.frames }, (_, i) => dicomParser.readEncapsulatedImageFrame(dataSet, pixelData, i, table, fragments));
}

/** A JPEG 2000 frame starts with a codestream (SOC, FF 4F) or a JP2 signature box (0000000C 6A502020). */
function startsJpeg2000(bytes: Uint8Array, at: number): boolean {
  if (bytes[at] === 0xff && bytes[at + 1] === 0x4f) return true;
  return bytes[at + 3] === 0x0c && bytes[at + 4] === 0x6a && bytes[at + 5] === 0x50 && bytes[at + 6] === 0x20 && bytes[at + 7] === 0x20;
}

/** Groups fragments into frames at each fragment that opens a new codestream. */
function jpeg2000Frames(file: string, h: DicomImageHeader): Uint8Array[] {
  const { dataSet, pixelData } = h;
  const fragments = pixelData.fragments ?? [];
  const starts = fragments.flatMap((f, i) => (startsJpeg2000(dataSet.byteArray, f.position) ? [i] : []));
  if (starts.length !== h.frames || starts[0] !== 0) {
    throw new InputError(file, `${fragments.length} fragments hold ${starts.length} JPEG 2000 codestreams for ${h.frames} frames`);
  }
  return starts.map((start, i) => dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, pixelData, start, (starts[i + 1] ?? fragments.length) - start));
}
