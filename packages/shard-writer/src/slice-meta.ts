// Per-slice identity tags some inputs carry (DICOM); PNG trees have none, so every field is optional.
import type { SampleMeta } from 'shard-format';

/** The DICOM identity fields of the index's per-sample metadata: PatientID and the Study, Series and SOP Instance UIDs. */
export type SliceMeta = Pick<SampleMeta, 'patientId' | 'studyInstanceUid' | 'seriesInstanceUid' | 'sopInstanceUid'>;

/** Metadata by sample key; a key without an entry has none. */
export type SliceMetaLookup = (key: string) => SliceMeta | undefined;

export const NO_META: SliceMetaLookup = () => undefined;
