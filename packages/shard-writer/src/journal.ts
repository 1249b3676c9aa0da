// Resume state of an interrupted build: which shards are complete and how far into the inputs they reach.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ShardEntry, SkippedInput } from 'shard-format';
import { writeAtomic } from './shard-set-writer.js';

export const JOURNAL_DIR = '.build';

/** Written after a shard and its index are renamed into place. */
export interface ShardJournal {
  plan: string;
  entry: ShardEntry;
  /** Inputs (in plan order) consumed once this shard closed. */
  inputsConsumed: number;
  /** Inputs skipped since the previous shard closed. */
  skipped: SkippedInput[];
}

export interface ResumePoint {
  shards: ShardEntry[];
  inputsConsumed: number;
  skipped: SkippedInput[];
}

export class Journal {
  private readonly dir: string;

  constructor(
    private readonly out: string,
    private readonly plan: string,
  ) {
    this.dir = path.join(out, JOURNAL_DIR);
  }

  /** Complete shards of an earlier run of the same plan, in order; anything else in the folder is cleared. */
  async resume(): Promise<ResumePoint> {
    const point: ResumePoint = { shards: [], inputsConsumed: 0, skipped: [] };
    const samePlan = readJson(path.join(this.dir, 'plan.json'))?.plan === this.plan;
    if (samePlan) {
      for (let i = 0; ; i++) {
        const j = readJson(path.join(this.dir, `shard-${i}.json`)) as ShardJournal | undefined;
        if (!j || j.plan !== this.plan || !this.intact(j.entry)) break;
        point.shards.push(j.entry);
        point.inputsConsumed = j.inputsConsumed;
        point.skipped.push(...j.skipped);
      }
    }
    // The manifest goes first: from here until the build ends, the folder must not look complete.
    rmSync(path.join(this.out, 'manifest.json'), { force: true });
    const keep = new Set(point.shards.flatMap((s) => [s.file, s.index.file]));
    for (const name of readdirSync(this.out)) {
      if (/^shard-\d+\.(bin|index\.json)(\.partial)?$|^manifest\.json(\.partial)?$/.test(name) && !keep.has(name)) rmSync(path.join(this.out, name), { force: true });
    }
    if (!samePlan) {
      rmSync(this.dir, { recursive: true, force: true });
      mkdirSync(this.dir, { recursive: true });
      await writeAtomic(this.dir, 'plan.json', JSON.stringify({ plan: this.plan }) + '\n');
    } else {
      for (const name of readdirSync(this.dir)) {
        const m = /^shard-(\d+)\.json$/.exec(name);
        if (m && Number(m[1]) >= point.shards.length) rmSync(path.join(this.dir, name), { force: true });
      }
    }
    return point;
  }

  async record(index: number, j: Omit<ShardJournal, 'plan'>): Promise<void> {
    await writeAtomic(this.dir, `shard-${index}.json`, JSON.stringify({ plan: this.plan, ...j }) + '\n');
  }

  /** The build is complete (manifest written): the journal has served its purpose. */
  finish(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private intact(e: ShardEntry): boolean {
    const size = (name: string) => (existsSync(path.join(this.out, name)) ? statSync(path.join(this.out, name)).size : -1);
    return size(e.file) === e.bytes && size(e.index.file) === e.index.bytes;
  }
}

function readJson(file: string): { plan?: string } | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
