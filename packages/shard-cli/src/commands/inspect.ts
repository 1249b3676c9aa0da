// `shard inspect <dir>`: what a dataset holds, from the manifest and index alone (no image bytes read).
import { Command } from 'commander';
import type { Dataset } from 'shard-reader';
import { count, formatBytes } from '../format-units.js';
import { labelStats, topPairs } from '../label-stats.js';
import { describeMeta, describeSample, metaSummary, sampleEntries } from '../meta-summary.js';
import { UsageError } from '../cli-error.js';
import { addRemoteFlags, datasetLocation, openForCli, type RemoteFlags } from '../open-dataset.js';
import { addGridOptions, runGrid, type GridFlags } from './grid.js';

export function inspectSummary(ds: Dataset) {
  const m = ds.manifest;
  const { positives, cooccurrence } = labelStats(ds.labels, ds.labelNames);
  return {
    dir: ds.dir,
    samples: ds.size,
    shape: ds.shape,
    channels: ds.shape[2],
    dtype: ds.dtype,
    labelNames: ds.labelNames,
    positives,
    cooccurrence,
    recordBytes: ds.recordBytes,
    imageBytes: m.schema.record.imageBytes,
    recordsPerShard: m.recordsPerShard,
    bytes: m.shards.reduce((n, s) => n + s.bytes + s.index.bytes, 0),
    preprocess: m.schema.preprocess,
    buildId: m.buildId,
    build: { tool: m.build.tool, shardBytes: m.build.shardBytes, inputs: m.build.inputs, written: m.build.written, skipped: m.build.skipped.length },
    shards: m.shards.map((s) => ({ file: s.file, samples: s.samples, bytes: s.bytes })),
    /** Per-sample metadata in sum (DICOM/NIfTI builds); null for PNG trees and remote datasets. */
    meta: metaSummary(ds) ?? null,
  };
}

/** `--meta` alone lists every sample; `--meta <n>` the first n. */
function parseMetaLimit(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--meta takes a number of samples of at least 1 (got ${JSON.stringify(text)})`);
  return Number(text);
}

export function inspectCommand(): Command {
  return addRemoteFlags(addGridOptions(new Command('inspect')))
    .description('summarise a dataset: samples, shape, dtype, labels with positive counts and co-occurrence, shards')
    .argument('<dir>', 'dataset folder (holds manifest.json), s3://bucket/prefix or https://host/path/')
    .option('--json', 'machine-readable output')
    .option('--meta [n]', 'also list each sample (or the first n) with its metadata: source file, PatientID, Study/Series UID, InstanceNumber, position, spacing, thickness; NIfTI k', parseMetaLimit)
    .action(async (dirArg: string, flags: { json?: boolean; meta?: number | true } & GridFlags & RemoteFlags) => {
      const ds = await openForCli(datasetLocation(dirArg), {}, flags);
      try {
        if (await runGrid(ds, ds.dir, flags)) return;
        const s = inspectSummary(ds);
        if (flags.meta !== undefined && ds.isRemote) throw new UsageError('--meta reads the shard indexes from local disk; it does not work on a remote dataset yet');
        const entries = flags.meta === undefined ? undefined : sampleEntries(ds, flags.meta === true ? undefined : flags.meta);
        if (flags.json) {
          process.stdout.write(JSON.stringify(entries ? { ...s, sampleMeta: entries } : s, null, 2) + '\n');
          return;
        }
        const p = s.preprocess;
        const lines = [
          `dataset   ${s.dir}`,
          `samples   ${s.samples} in ${count(s.shards.length, 'shard')}, ${formatBytes(s.bytes)}`,
          ...shardLines(s.shards).map((l, i) => `${i === 0 ? 'shards' : ''}`.padEnd(10) + l),
          `sample    ${s.shape.join(' x ')} ${s.dtype} (${describeValues(s.dtype, s.channels)}), record ${s.recordBytes} bytes (a shard holds at most ${count(s.recordsPerShard, 'record')})`,
          `preproc   size ${p.size}, fit ${p.fit}, kernel ${p.kernel}${p.window ? `, window ${p.window === 'dicom' ? 'dicom' : `${p.window.center},${p.window.width}`}` : ''}${p.windows ? `, windows ${p.windows.map((w) => `${w.center}:${w.width}`).join(',')}` : ''}${p.rescale ? `, rescale ${p.rescale.slope},${p.rescale.intercept}` : ''}, intensity ${p.intensity}`,
          `build     ${count(s.build.inputs, 'input')} = ${s.build.written} written + ${s.build.skipped} skipped (${s.build.tool}), build id ${s.buildId}`,
          'labels    ' + s.labelNames.map((n) => `${n} ${s.positives[n]}/${s.samples}`).join(', '),
        ];
        const pairs = topPairs(s);
        if (pairs.length) lines.push('together  ' + pairs.map((p) => `${p.a}+${p.b} ${p.samples}`).join(', '));
        if (s.meta) lines.push(`meta      ${describeMeta(s.meta)}`);
        if (entries) lines.push(...entries.map(describeSample));
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        await ds.close();
      }
    });
}

/** "1 channel, display values" / "3 channels, modality values (e.g. HU)": what a sample's numbers are. */
export function describeValues(dtype: string, channels: number): string {
  const kind = dtype === 'int16' ? 'modality values, rounded (e.g. HU)' : dtype === 'float32' ? 'modality values (e.g. HU)' : 'display values';
  return `${count(channels, 'channel')}, ${kind}`;
}

/**
 * What each shard holds, one line per run of consecutive shards with the same sample count, so 400
 * full shards and a short last one stay two lines and every shard's count is still exact.
 */
export function shardLines(shards: { file: string; samples: number }[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < shards.length; ) {
    let j = i;
    while (j + 1 < shards.length && shards[j + 1].samples === shards[i].samples) j++;
    const n = count(shards[i].samples, 'sample');
    lines.push(i === j ? `${shards[i].file}: ${n}` : `${shards[i].file} .. ${shards[j].file}: ${n} each (${j - i + 1} shards)`);
    i = j + 1;
  }
  return lines;
}
