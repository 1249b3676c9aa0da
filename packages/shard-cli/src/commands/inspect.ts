// `shard inspect <dir>`: what a dataset holds, from the manifest and index alone (no image bytes read).
import { Command } from 'commander';
import type { Dataset } from 'shard-reader';
import { formatBytes } from '../format-units.js';
import { labelStats, topPairs } from '../label-stats.js';
import { openForCli } from '../open-dataset.js';

export function inspectSummary(ds: Dataset) {
  const m = ds.manifest;
  const { positives, cooccurrence } = labelStats(ds.labels, ds.labelNames);
  return {
    dir: ds.dir,
    samples: ds.size,
    shape: ds.shape,
    dtype: ds.dtype,
    labelNames: ds.labelNames,
    positives,
    cooccurrence,
    recordBytes: ds.recordBytes,
    imageBytes: m.schema.record.imageBytes,
    recordsPerShard: m.recordsPerShard,
    bytes: m.shards.reduce((n, s) => n + s.bytes + s.index.bytes, 0),
    preprocess: m.schema.preprocess,
    build: { tool: m.build.tool, shardBytes: m.build.shardBytes, inputs: m.build.inputs, written: m.build.written, skipped: m.build.skipped.length },
    shards: m.shards.map((s) => ({ file: s.file, samples: s.samples, bytes: s.bytes })),
  };
}

export function inspectCommand(): Command {
  return new Command('inspect')
    .description('summarise a dataset: samples, shape, dtype, labels with positive counts and co-occurrence, shards')
    .argument('<dir>', 'dataset folder (holds manifest.json)')
    .option('--json', 'machine-readable output')
    .action(async (dir: string, flags: { json?: boolean }) => {
      const ds = await openForCli(dir);
      try {
        const s = inspectSummary(ds);
        if (flags.json) {
          process.stdout.write(JSON.stringify(s, null, 2) + '\n');
          return;
        }
        const p = s.preprocess;
        const lines = [
          `dataset   ${s.dir}`,
          `samples   ${s.samples} in ${s.shards.length} shards (${s.recordsPerShard} per shard), ${formatBytes(s.bytes)}`,
          `sample    ${s.shape.join(' x ')} ${s.dtype}, record ${s.recordBytes} bytes`,
          `preproc   size ${p.size}, fit ${p.fit}, kernel ${p.kernel}${p.window ? `, window ${p.window.center},${p.window.width}` : ''}`,
          `build     ${s.build.inputs} inputs = ${s.build.written} written + ${s.build.skipped} skipped (${s.build.tool})`,
          'labels    ' + s.labelNames.map((n) => `${n} ${s.positives[n]}/${s.samples}`).join(', '),
        ];
        const pairs = topPairs(s);
        if (pairs.length) lines.push('together  ' + pairs.map((p) => `${p.a}+${p.b} ${p.samples}`).join(', '));
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        await ds.close();
      }
    });
}
