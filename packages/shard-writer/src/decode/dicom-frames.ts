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
  if (table.length === 0) {
    if (h.syntax.codec !== 'jpeg-baseline' && h.syntax.codec !== 'jpeg-lossless') {
      throw new InputError(file, `${fragments.length} fragments for ${h.frames} frames and no basic offset table: frames cannot be told apart`);
    }
    table = dicomParser.createJPEGBasicOffsetTable(dataSet, pixelData, fragments);
  }
  if (table.length < h.frames) throw new InputError(file, `basic offset table has ${table.length} entries for ${h.frames} frames`);
  return Array.from({ length: h.frames }, (_, i) => dicomParser.readEncapsulatedImageFrame(dataSet, pixelData, i, table, fragments));
}
