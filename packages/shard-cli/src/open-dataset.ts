// Opens a dataset for a CLI command, turning "not a dataset" into a usage error (exit 2).
import { statSync } from 'node:fs';
import path from 'node:path';
import { MANIFEST_FILE } from 'shard-format';
import { openDataset, type Dataset, type OpenDatasetOptions } from 'shard-reader';
import { UsageError } from './cli-error.js';

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
    throw new UsageError(`${dir}: no ${MANIFEST_FILE} (not a dataset folder, or its build did not finish)`);
  }
}

export async function openForCli(dir: string, options: OpenDatasetOptions = {}): Promise<Dataset> {
  assertDatasetFolder(dir);
  return openDataset(dir, { workers: 0, ...options });
}
