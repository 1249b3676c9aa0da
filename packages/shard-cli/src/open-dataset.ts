// Opens a dataset for a CLI command, turning "not a dataset" into a usage error (exit 2).
import { statSync } from 'node:fs';
import { openDataset, type Dataset, type OpenDatasetOptions } from 'shard-reader';
import { UsageError } from './cli-error.js';

export async function openForCli(dir: string, options: OpenDatasetOptions = {}): Promise<Dataset> {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new UsageError(`${dir}: no such dataset folder`);
  }
  if (!isDir) throw new UsageError(`${dir}: not a folder`);
  try {
    statSync(`${dir}/manifest.json`);
  } catch {
    throw new UsageError(`${dir}: no manifest.json (not a dataset folder, or its build did not finish)`);
  }
  return openDataset(dir, { workers: 0, ...options });
}
