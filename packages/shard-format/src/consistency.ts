// Cross-checks between a shard's header and what the manifest says of that shard.
import { FormatError } from './errors.js';
import type { ShardHeader } from './header.js';
import type { Manifest, ShardEntry } from './manifest.js';

/** Throws a FormatError naming the shard when its header disagrees with the manifest. */
export function checkHeaderAgainstManifest(h: ShardHeader, m: Manifest, shardIndex: number, entry: ShardEntry): void {
  const file = entry.file;
  const want: [string, number | string, number | string][] = [
    ['schema hash', h.schemaHash, m.schemaHash],
    ['build id', h.buildId, m.buildId],
    ['shard index', h.shardIndex, shardIndex],
    ['record count', h.recordCount, entry.samples],
    ['record stride', h.recordStride, m.schema.record.stride],
    ['first sample', h.firstSample, entry.firstSample],
    ['image bytes', h.imageBytes, m.schema.record.imageBytes],
    ['label count', h.labelCount, m.schema.labelNames.length],
    ['dtype', h.dtype, m.schema.dtype],
    ['height', h.height, m.schema.shape[0]],
    ['width', h.width, m.schema.shape[1]],
    ['channels', h.channels, m.schema.shape[2]],
  ];
  for (const [what, got, expected] of want) {
    if (got === expected) continue;
    const why = what === 'build id' ? ': the shard belongs to another build (copied in from elsewhere, or the folder was rebuilt)' : '';
    throw new FormatError(`header ${what} is ${got}, the manifest says ${expected}${why}`, { file });
  }
}
