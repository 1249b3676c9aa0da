// Resume state of an interrupted build, kept in `<out>/.build/` beside the shards it stages there.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { JOURNAL_DIR, type ShardEntry, type SkippedInput } from 'shard-format';
import { writeAtomic } from './shard-set-writer.js';
import { ValueTotals, type TotalsJson } from './values.js';

export { JOURNAL_DIR };
export const PLAN_FILE = 'plan.json';
/** Written once the staged build is complete: from then on the swap into the dataset folder must be finished. */
export const SWAP_FILE = 'swap.json';

/** Written after a staged shard and its index are complete under their final names. */
export interface ShardJournal {
  plan: string;
  entry: ShardEntry;
  /** Inputs (in plan order) consumed once this shard closed. */
  inputsConsumed: number;
  /** Samples of the next input (a volume or multi-frame file) already in this or earlier shards. */
  samplesInto: number;
  /** Inputs skipped since the previous shard closed. */
  skipped: SkippedInput[];
  /** Value statistics of this shard's samples (ValueTotals JSON). */
  values: TotalsJson;
}

export interface ResumePoint {
  shards: ShardEntry[];
  inputsConsumed: number;
  samplesInto: number;
  skipped: SkippedInput[];
  values: ValueTotals;
}

export interface SwapPlan {
  plan: string;
  /** Files the replaced manifest named: deleted once the new manifest is in place, unless it names them too. */
  old: string[];
  /** Files of the new build, moved from the journal into the dataset folder. */
  new: string[];
}

export class Journal {
  /** Where this build's shards are written until the swap. */
  readonly dir: string;

  constructor(
    out: string,
    private readonly plan: string,
  ) {
    this.dir = path.join(out, JOURNAL_DIR);
  }

  /** Complete shards of an earlier run of the same plan, in order; every other file in the journal is cleared. */
  async resume(): Promise<ResumePoint> {
    const point: ResumePoint = { shards: [], inputsConsumed: 0, samplesInto: 0, skipped: [], values: new ValueTotals() };
    const samePlan = readJson(path.join(this.dir, PLAN_FILE))?.plan === this.plan;
    if (samePlan) {
      for (let i = 0; ; i++) {
        const j = readJson(path.join(this.dir, `shard-${i}.json`)) as ShardJournal | undefined;
        if (!j || j.plan !== this.plan || !this.intact(j.entry) || !j.values) break;
        point.shards.push(j.entry);
        point.inputsConsumed = j.inputsConsumed;
        point.samplesInto = j.samplesInto ?? 0;
        point.values.merge(ValueTotals.fromJSON(j.values));
        point.skipped.push(...j.skipped);
      }
      const keep = new Set([PLAN_FILE, ...point.shards.flatMap((s, i) => [s.file, s.index.file, `shard-${i}.json`])]);
      for (const name of readdirSync(this.dir)) if (!keep.has(name)) rmSync(path.join(this.dir, name), { recursive: true, force: true });
    } else {
      // Another plan's journal (checked to be ours before the build began): nothing in it can be reused. Its plan
      // file goes last and is replaced in one rename, so a kill at any moment leaves a journal still known as ours.
      mkdirSync(this.dir, { recursive: true });
      for (const name of readdirSync(this.dir)) if (name !== PLAN_FILE) rmSync(path.join(this.dir, name), { recursive: true, force: true });
      await writeAtomic(this.dir, PLAN_FILE, JSON.stringify({ plan: this.plan }) + '\n');
    }
    return point;
  }

  async record(index: number, j: Omit<ShardJournal, 'plan'>): Promise<void> {
    await writeAtomic(this.dir, `shard-${index}.json`, JSON.stringify({ plan: this.plan, ...j }) + '\n');
  }

  /** Marks the staged build complete: what the swap will move in and what it will delete. */
  async commit(swap: Omit<SwapPlan, 'plan'>): Promise<void> {
    await writeAtomic(this.dir, SWAP_FILE, JSON.stringify({ plan: this.plan, ...swap }) + '\n');
  }

  private intact(e: ShardEntry): boolean {
    const size = (name: string) => (existsSync(path.join(this.dir, name)) ? statSync(path.join(this.dir, name)).size : -1);
    return size(e.file) === e.bytes && size(e.index.file) === e.index.bytes;
  }
}

/**
 * Deletes the journal folder `dir` so that a kill part-way leaves it recognisable: the swap record and the
 * plan file, which prove the folder is ours, go after everything else, and the folder itself last.
 */
export function removeJournal(dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) if (name !== PLAN_FILE && name !== SWAP_FILE) rmSync(path.join(dir, name), { recursive: true, force: true });
  rmSync(path.join(dir, SWAP_FILE), { force: true });
  rmSync(path.join(dir, PLAN_FILE), { force: true });
  rmSync(dir, { recursive: true, force: true });
}

/** The swap a killed build had begun, if any (`dir` is the journal folder). */
export function readSwap(dir: string): SwapPlan | undefined {
  const s = readJson(path.join(dir, SWAP_FILE)) as SwapPlan | undefined;
  const names = (v: unknown) => Array.isArray(v) && v.every((n) => typeof n === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(n));
  return s && typeof s.plan === 'string' && names(s.old) && names(s.new) ? s : undefined;
}

function readJson(file: string): { plan?: string } | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
