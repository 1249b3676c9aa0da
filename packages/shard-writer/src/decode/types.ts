// The shape every medical decoder yields: one 2-D image (slice or frame) with its values and metadata.
import type { SampleMeta } from 'shard-format';

/** Stored values exactly as the file holds them, after sign and BitsStored are applied. */
export type StoredArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** The identity and geometry fields are the index's own (SampleMeta), so what a decoder reads is what the index can hold. */
type IndexedFields = 'patientId' | 'studyInstanceUid' | 'seriesInstanceUid' | 'sopInstanceUid' | 'instanceNumber' | 'imagePositionPatient' | 'imageOrientationPatient' | 'pixelSpacing' | 'sliceThickness';

export interface MedicalMeta extends Pick<SampleMeta, IndexedFields> {
  /** The input file, as passed to the decoder. */
  source: string;
  format: 'dicom' | 'nifti';
  /** DICOM: the photometric interpretation of the file (the decoded `stored` of colour input is RGB). */
  photometricInterpretation?: string;
  /** True for MONOCHROME1: stored values are kept; only a display output should invert them. */
  invertForDisplay?: boolean;
  transferSyntaxUid?: string;
  bitsStored?: number;
  windowCenter?: number;
  windowWidth?: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** DICOM: modality values come from the Modality LUT Sequence (slope 1 and intercept 0 are then moot). */
  modalityLut?: boolean;
  /** DICOM multi-frame: the frame index; NIfTI: the slice index k along the third axis. */
  frame?: number;
  k?: number;
  /** NIfTI 4-D: the volume index along the fourth axis. */
  t?: number;
  /** NIfTI: voxel sizes pixdim[1..3] (width, height, slice). */
  voxelSize?: number[];
}

export interface MedicalSlice {
  /** Appended to the sample key: '' for a single-frame DICOM, '/f000'.. for frames, '/z000'.. for slices. */
  suffix: string;
  width: number;
  height: number;
  /** 1 for greyscale, 3 for RGB (interleaved R, G, B per pixel). */
  channels: number;
  stored: StoredArray;
  /** stored * slope + intercept, or the Modality LUT's entry (Hounsfield units for CT), interleaved like `stored`. */
  modality: Float32Array;
  meta: MedicalMeta;
}
