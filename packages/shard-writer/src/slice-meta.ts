// Per-slice metadata some inputs carry (DICOM tags); PNG trees have none, so every field is optional.

export interface SliceMeta {
  /** DICOM (0010,0020). */
  patientId?: string;
  /** DICOM (0020,000D). */
  studyInstanceUid?: string;
  /** DICOM (0020,000E). */
  seriesInstanceUid?: string;
  /** DICOM (0008,0018). */
  sopInstanceUid?: string;
}

/** Metadata by sample key; a key without an entry has none. */
export type SliceMetaLookup = (key: string) => SliceMeta | undefined;

export const NO_META: SliceMetaLookup = () => undefined;
