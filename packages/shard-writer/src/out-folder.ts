// Decides whether `--out` is ours to build into, and which of its files the tool may replace or delete.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { MANIFEST_FILE, MANIFEST_FORMAT, manifestChecksum, type Manifest } from 'shard-format';
import { InputError } from './errors.js';
import { JOURNAL_DIR, PLAN_FILE, readSwap } from './journal.js';
import { LOCK_FILE } from './lock.js';
import { decodePartRecord, PART_FILE } from './part-record.js';

/** Names a build writes into the dataset folder itself; any such name the tool cannot prove it made blocks the build. */
const SHARD_NAME_RE = /^shard-\d+\.(bin|index\.json)(\.partial)?$|^(manifest|part)\.json\.partial$/;
const LOCK_NAME_RE = /^\.build\.lock(\..+\.tmp)?$/;

export interface OutFolder {
  /** Files of the dataset already there (its manifest's shards and indexes): the only names a rebuild may replace or delete. */
  ours: Set<string>;
}

/**
 * Creates `out` if needed and checks it holds nothing but our own files: an empty folder, a dataset
 * whose manifest is ours, or an interrupted build (our journal). Anything else is refused naming the folder.
 */
export async function checkOutFolder(out: string): Promise<OutFolder> {
  const st = statOrUndefined(out);
  if (st && !st.isDirectory()) throw new InputError(out, 'exists and is not a folder; --out must be a new or empty folder, or a shard dataset');
  if (!st) {
    await mkdir(out, { recursive: true });
    return { ours: new Set() };
  }
  const names = readdirSync(out).filter((n) => !LOCK_NAME_RE.test(n));
  const ours = new Set<string>();
  if (names.includes(MANIFEST_FILE)) {
    const m = readOurManifest(path.join(out, MANIFEST_FILE));
    if (typeof m === 'string') throw new InputError(out, `holds files that are not a shard dataset (${MANIFEST_FILE} is not ours: ${m}); choose a new or empty folder`);
    for (const n of m) ours.add(n);
  }
  if (names.includes(PART_FILE)) {
    // One part of a split build (`--part k/n`): its shards are ours to replace, like a dataset's.
    const r = readOurPart(path.join(out, PART_FILE));
    if (typeof r === 'string') throw new InputError(out, `holds files that are not a shard dataset (${PART_FILE} is not ours: ${r}); choose a new or empty folder`);
    for (const n of r) ours.add(n);
  }
  if (names.includes(JOURNAL_DIR)) {
    const why = foreignJournal(path.join(out, JOURNAL_DIR));
    if (why) throw new InputError(out, `holds a ${JOURNAL_DIR} folder that is not a shard build journal (${why}); choose a new or empty folder`);
    // A swap cut short by a kill: the files it lists (old and new) are ours, whatever state the swap reached.
    const swap = readSwap(path.join(out, JOURNAL_DIR));
    for (const n of [...(swap?.old ?? []), ...(swap?.new ?? []), ...journalledNames(path.join(out, JOURNAL_DIR))]) ours.add(n);
  }
  const rest = names.filter((n) => n !== MANIFEST_FILE && n !== JOURNAL_DIR && n !== PART_FILE);
  if (!names.includes(MANIFEST_FILE) && !names.includes(JOURNAL_DIR) && !names.includes(PART_FILE) && rest.length > 0) {
    throw new InputError(out, `holds files that are not a shard dataset (no ${MANIFEST_FILE}, e.g. ${JSON.stringify(clipName(rest.sort()[0]))}); choose a new or empty folder`);
  }
  const unproven = rest.filter((n) => SHARD_NAME_RE.test(n) && !ours.has(n)).sort();
  if (unproven.length > 0) {
    throw new InputError(out, `holds ${unproven[0]}${unproven.length > 1 ? ` (and ${unproven.length - 1} more)` : ''}, which neither its ${MANIFEST_FILE} nor a build journal names: the build would replace it; move it away first`);
  }
  return { ours };
}

/** The shard and index names of a manifest written by this tool, or why it is not ours. */
export function readOurManifest(file: string): string[] | string {
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ? `cannot be read (${(err as NodeJS.ErrnoException).code})` : 'not JSON';
  }
  if (m === null || typeof m !== 'object' || m.format !== MANIFEST_FORMAT) return `its format is not "${MANIFEST_FORMAT}"`;
  // The checksum covers every other field: only a manifest we wrote (or an exact copy) has a matching one.
  if (typeof m.checksum !== 'string' || m.checksum !== manifestChecksum(m)) return 'its checksum does not match its content';
  if (!Array.isArray(m.shards)) return 'it lists no shards';
  const names = m.shards.flatMap((s) => [s?.file, s?.index?.file]);
  if (!names.every((n) => typeof n === 'string' && SHARD_NAME_RE.test(n))) return 'it names files the tool does not write';
  return names as string[];
}

/** The shard and index names a part record of this tool lists, or why it is not ours. */
export function readOurPart(file: string): string[] | string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return `cannot be read (${(err as NodeJS.ErrnoException).code})`;
  }
  const r = decodePartRecord(text);
  return typeof r === 'string' ? r : r.shards.flatMap((s) => [s.file, s.index.file]);
}

/** Files the journal's shard records name: builds before staging wrote them straight into the dataset folder. */
function journalledNames(dir: string): string[] {
  const names: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!/^shard-\d+\.json$/.test(name)) continue;
    try {
      const e = JSON.parse(readFileSync(path.join(dir, name), 'utf8'))?.entry;
      for (const f of [e?.file, e?.index?.file]) if (typeof f === 'string' && SHARD_NAME_RE.test(f)) names.push(f);
    } catch {
      // a record cut short by a kill proves nothing
    }
  }
  return names;
}

/** Why `<out>/.build` is not our journal, or undefined when it is (or is one we were creating when killed). */
function foreignJournal(dir: string): string | undefined {
  if (!statOrUndefined(dir)?.isDirectory()) return 'not a folder';
  const names = readdirSync(dir);
  // mkdir and the first plan write are not one step: an empty journal, or one holding only that temp file, is ours.
  if (names.length === 0 || (names.length === 1 && names[0] === `${PLAN_FILE}.partial`)) return undefined;
  if (!existsSync(path.join(dir, PLAN_FILE))) return `no ${PLAN_FILE}`;
  try {
    const plan = JSON.parse(readFileSync(path.join(dir, PLAN_FILE), 'utf8'));
    if (typeof plan?.plan === 'string' && /^[0-9a-f]{64}$/.test(plan.plan)) return undefined;
  } catch {
    // falls through: not our plan file
  }
  return `${PLAN_FILE} is not ours`;
}

function statOrUndefined(p: string) {
  try {
    return statSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError(p, `cannot be read (${(err as NodeJS.ErrnoException).code})`);
  }
}

function clipName(n: string): string {
  return n.length > 80 ? `${n.slice(0, 80)}…` : n;
}
