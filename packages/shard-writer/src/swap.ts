// Replaces the dataset in `--out` with the build staged in its journal, in an order a kill cannot break.
import { existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { MANIFEST_FILE } from 'shard-format';
import { JOURNAL_DIR, readSwap, removeJournal } from './journal.js';
import { PART_FILE } from './part-record.js';
import { syncDir } from './shard-set-writer.js';

/**
 * Finishes the swap recorded in `<out>/.build/swap.json`; a no-op when there is none. Every step can
 * be repeated after a kill: old manifest out, staged files in, new manifest in (last of the files a
 * reader opens), then the old files the new manifest does not name, then the journal.
 */
export async function completeSwap(out: string): Promise<boolean> {
  const staging = path.join(out, JOURNAL_DIR);
  const swap = readSwap(staging);
  if (!swap) return false;
  // The folder's record is a manifest (a dataset) or a part.json (one part of a split build), never both.
  const record = [MANIFEST_FILE, PART_FILE].find((name) => existsSync(path.join(staging, name)));
  // The staged record still in the journal means the new one is not in place yet: the old one (of either kind)
  // must go first, so no manifest or part record ever names a file while it is being replaced.
  if (record) {
    rmSync(path.join(out, MANIFEST_FILE), { force: true });
    rmSync(path.join(out, PART_FILE), { force: true });
    await syncDir(out);
    for (const name of swap.new) if (existsSync(path.join(staging, name))) renameSync(path.join(staging, name), path.join(out, name));
    await syncDir(out);
    renameSync(path.join(staging, record), path.join(out, record));
    await syncDir(out);
  }
  const keep = new Set(swap.new);
  for (const name of swap.old) if (!keep.has(name)) rmSync(path.join(out, name), { force: true });
  removeJournal(staging);
  await syncDir(out);
  return true;
}

