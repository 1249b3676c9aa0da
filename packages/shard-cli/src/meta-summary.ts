// What the per-sample metadata of a DICOM/NIfTI build says in sum (files, patients, studies, series),
// and the metadata of chosen samples, for `shard inspect`: read from the shard indexes, no image bytes.
import type { SampleMeta } from 'shard-format';
import type { Dataset } from 'shard-reader';

export interface MetaSummary {
  /** Samples whose index entry carries metadata (DICOM frames, NIfTI slices). */
  samples: number;
  /** Distinct input files they come from. */
  sources: number;
  patients: number;
  studies: number;
  /** Distinct SeriesInstanceUIDs. */
  series: number;
  /** Series whose order the build recorded (`series`/`position` in the index meta). */
  orderedSeries: number;
  /** Distinct NIfTI volumes (sources with a slice index k). */
  volumes: number;
}

export interface SampleEntry {
  index: number;
  key: string;
  meta: SampleMeta | null;
}

/** Undefined when no sample has metadata (a PNG tree) or the dataset is remote (ds.meta reads local indexes). */
export function metaSummary(ds: Dataset): MetaSummary | undefined {
  if (ds.isRemote) return undefined;
  const sets = { sources: new Set<string>(), patients: new Set<string>(), studies: new Set<string>(), series: new Set<string>(), ordered: new Set<number>(), volumes: new Set<string>() };
  let samples = 0;
  for (let i = 0; i < ds.size; i++) {
    const m = ds.meta(i);
    if (!m) continue;
    samples++;
    sets.sources.add(m.source);
    if (m.patientId !== undefined) sets.patients.add(m.patientId);
    if (m.studyInstanceUid !== undefined) sets.studies.add(m.studyInstanceUid);
    if (m.seriesInstanceUid !== undefined) sets.series.add(m.seriesInstanceUid);
    if (m.series !== undefined) sets.ordered.add(m.series);
    if (m.k !== undefined) sets.volumes.add(m.source);
  }
  if (samples === 0) return undefined;
  return { samples, sources: sets.sources.size, patients: sets.patients.size, studies: sets.studies.size, series: sets.series.size, orderedSeries: sets.ordered.size, volumes: sets.volumes.size };
}

/** The first `limit` samples (all when undefined) with their index metadata. */
export function sampleEntries(ds: Dataset, limit: number | undefined): SampleEntry[] {
  const n = Math.min(ds.size, limit ?? ds.size);
  const local = !ds.isRemote;
  return Array.from({ length: n }, (_, index) => ({ index, key: ds.keys[index], meta: (local && ds.meta(index)) || null }));
}

/** One line: "10 samples from 10 files: 1 patient, 1 study, 2 series (2 ordered along the slice normal)". */
export function describeMeta(m: MetaSummary): string {
  const n = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;
  const parts = [
    m.patients ? n(m.patients, 'patient') : '',
    m.studies ? n(m.studies, 'study', 'studies') : '',
    m.series ? `${n(m.series, 'series', 'series')}${m.orderedSeries ? ` (${m.orderedSeries} in recorded slice order)` : ''}` : '',
    m.volumes ? n(m.volumes, 'NIfTI volume') : '',
  ].filter(Boolean);
  return `${n(m.samples, 'sample')} from ${n(m.sources, 'file')}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

/** One text line per sample: key, source, and the identity/placement fields it has. */
export function describeSample(e: SampleEntry): string {
  const m = e.meta;
  if (!m) return `${e.key}  (no metadata)`;
  const fields: string[] = [`source ${m.source}`];
  if (m.patientId !== undefined) fields.push(`patient ${m.patientId}`);
  if (m.seriesInstanceUid !== undefined) fields.push(`series ${m.seriesInstanceUid}`);
  if (m.position !== undefined) fields.push(`position ${m.position}`);
  if (m.instanceNumber !== undefined) fields.push(`instance ${m.instanceNumber}`);
  if (m.imagePositionPatient) fields.push(`at ${m.imagePositionPatient.map((v) => +v.toFixed(2)).join(',')}`);
  if (m.pixelSpacing) fields.push(`spacing ${m.pixelSpacing.join('x')}`);
  if (m.sliceThickness !== undefined) fields.push(`thickness ${m.sliceThickness}`);
  if (m.frame !== undefined) fields.push(`frame ${m.frame}`);
  if (m.k !== undefined) fields.push(`k ${m.k}${m.t !== undefined ? ` t ${m.t}` : ''}`);
  return `${e.key}  ${fields.join(', ')}`;
}
