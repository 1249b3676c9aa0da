// Per-frame DICOM metadata: top-level attributes, or an enhanced multi-frame object's functional groups.
import type { DataSet } from 'dicom-parser';

/** Functional group macros: which sequence inside a per-frame/shared item holds which attributes. */
const PIXEL_MEASURES = 'x00289110';
const PLANE_POSITION = 'x00209113';
const PLANE_ORIENTATION = 'x00209116';
const PIXEL_VALUE_TRANSFORMATION = 'x00289145';
const FRAME_VOI_LUT = 'x00289132';

export interface FrameAttributes {
  imagePositionPatient?: number[];
  imageOrientationPatient?: number[];
  pixelSpacing?: number[];
  sliceThickness?: number;
  windowCenter?: number;
  windowWidth?: number;
  rescaleSlope: number;
  rescaleIntercept: number;
}

function numbers(ds: DataSet | undefined, tag: string): number[] | undefined {
  // What numStringValues and floatString(tag, i) give, from one read of the string (each of them reads it again).
  const text = ds?.string(tag);
  if (text === undefined) return undefined;
  const values = text.split('\\').map((v) => parseFloat(v));
  return values.every((v) => Number.isFinite(v)) ? values : undefined;
}

function number(ds: DataSet | undefined, tag: string): number | undefined {
  const value = ds?.floatString(tag, 0);
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

function item(ds: DataSet | undefined, sequence: string, index = 0): DataSet | undefined {
  return ds?.elements[sequence]?.items?.[index]?.dataSet;
}

/**
 * The data sets to look in for frame `frame`, most specific first: the frame's own functional
 * group item, the shared one, then the top level (classic single- and multi-frame objects).
 */
function sources(ds: DataSet, frame: number): (DataSet | undefined)[] {
  return [item(ds, 'x52009230', frame), item(ds, 'x52009229'), undefined];
}

/** An attribute from a functional group macro, falling back to the same attribute at the top level. */
function lookup<T>(ds: DataSet, frame: number, sequence: string, read: (d: DataSet | undefined) => T | undefined): T | undefined {
  for (const group of sources(ds, frame)) {
    const found = read(group ? item(group, sequence) : ds);
    if (found !== undefined) return found;
  }
  return undefined;
}

export function frameAttributes(ds: DataSet, frame: number): FrameAttributes {
  return {
    imagePositionPatient: lookup(ds, frame, PLANE_POSITION, (d) => numbers(d, 'x00200032')),
    imageOrientationPatient: lookup(ds, frame, PLANE_ORIENTATION, (d) => numbers(d, 'x00200037')),
    pixelSpacing: lookup(ds, frame, PIXEL_MEASURES, (d) => numbers(d, 'x00280030')),
    sliceThickness: lookup(ds, frame, PIXEL_MEASURES, (d) => number(d, 'x00180050')),
    windowCenter: lookup(ds, frame, FRAME_VOI_LUT, (d) => number(d, 'x00281050')),
    windowWidth: lookup(ds, frame, FRAME_VOI_LUT, (d) => number(d, 'x00281051')),
    // Absent rescale means stored values are the modality values (slope 1, intercept 0).
    rescaleSlope: lookup(ds, frame, PIXEL_VALUE_TRANSFORMATION, (d) => number(d, 'x00281053')) ?? 1,
    rescaleIntercept: lookup(ds, frame, PIXEL_VALUE_TRANSFORMATION, (d) => number(d, 'x00281052')) ?? 0,
  };
}

export function text(ds: DataSet, tag: string): string | undefined {
  const value = ds.string(tag)?.trim();
  return value ? value : undefined;
}
