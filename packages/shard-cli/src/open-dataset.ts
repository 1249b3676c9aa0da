// Opens a dataset for a CLI command, turning "not a dataset" into a usage error (exit 2).
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { MANIFEST_FILE } from 'shard-format';
import { Command } from 'commander';
import { FormatError } from 'shard-format';
import { PART_FILE } from 'shard-writer';
import { isRemoteUrl, openDataset, type Dataset, type OpenDatasetOptions } from 'shard-reader';
import { UsageError } from './cli-error.js';
import { parseByteSize } from './format-units.js';
import { resolveUserPath } from './user-path.js';

/** Flags of commands that read a dataset which may be remote (s3://bucket/prefix, https://host/path/). */
export interface RemoteFlags {
  s3Endpoint?: string;
  cacheDir?: string;
  cacheBytes?: number;
}

export function addRemoteFlags(cmd: Command): Command {
  return cmd
    .option('--s3-endpoint <url>', 'S3-compatible endpoint for s3:// datasets (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS)')
    .option('--cache-dir <dir>', 'download cache for remote datasets (default: ~/.cache/shard-reader)')
    .option('--cache-bytes <n>', 'bound on the download cache, e.g. 20GiB (default: the dataset size)', parseByteSize);
}

/** A local folder (resolved from the caller's directory) or a remote dataset URL (kept as typed). */
export function datasetLocation(arg: string): string {
  return isRemoteUrl(arg) ? arg : resolveUserPath(arg);
}

/** Not a dataset folder at all: the command cannot run (exit 2), as opposed to a damaged dataset (exit 1). */
export function assertDatasetFolder(dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new UsageError(`${dir}: no such dataset folder`);
  }
  if (!isDir) throw new UsageError(`${dir}: not a folder`);
  try {
    statSync(path.join(dir, MANIFEST_FILE));
  } catch {
    if (existsSync(path.join(dir, PART_FILE))) throw new UsageError(`${dir}: one part of a --part build (${PART_FILE}, no ${MANIFEST_FILE}); join the parts first: shard merge <part folders...> --out <dir>`);
    throw new UsageError(`${dir}: no ${MANIFEST_FILE} (not a dataset folder, or its build did not finish)`);
  }
}

export async function openForCli(dir: string, options: OpenDatasetOptions = {}, remote: RemoteFlags = {}): Promise<Dataset> {
  if (!isRemoteUrl(dir)) {
    assertDatasetFolder(dir);
    return openDataset(dir, { workers: 0, ...options });
  }
  try {
    return await openDataset(dir, {
      workers: 0,
      ...options,
      s3: remote.s3Endpoint ? { endpoint: remote.s3Endpoint } : undefined,
      cacheDir: remote.cacheDir ? resolveUserPath(remote.cacheDir) : undefined,
      cacheBytes: remote.cacheBytes,
    });
  } catch (err) {
    // No manifest at that URL: the command cannot run (exit 2), as for a local folder without one.
    if (err instanceof FormatError && /^no manifest\.json/.test(err.reason)) throw new UsageError(err.message);
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
}
