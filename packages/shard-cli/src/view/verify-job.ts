// One `verify` run at a time for the browser: progress for listeners, then the result per shard.
import { verifyDataset, type Problem, type VerifyReport } from 'shard-reader';
import type { Manifest } from 'shard-format';

export interface ShardResult {
  file: string;
  samples: number;
  bytes: number;
  ok: boolean;
  problems: Problem[];
}

export interface VerifyState {
  state: 'idle' | 'running' | 'done' | 'failed';
  bytesDone: number;
  bytesTotal: number;
  startedAt: number | null;
  ok?: boolean;
  shards?: ShardResult[];
  /** Problems not about one shard (the manifest, a missing index named by file). */
  other?: Problem[];
  warnings?: Problem[];
  seconds?: number;
  mbPerSec?: number;
  error?: string;
}

type Listener = (state: VerifyState) => void;

export class VerifyJob {
  private current: VerifyState = { state: 'idle', bytesDone: 0, bytesTotal: 0, startedAt: null };
  private readonly listeners = new Set<Listener>();

  constructor(
    private readonly dir: string,
    private readonly manifest: Manifest,
  ) {}

  get status(): VerifyState {
    return this.current;
  }

  /** Starts a run unless one is running; returns the state either way. */
  start(): VerifyState {
    if (this.current.state === 'running') return this.current;
    this.set({ state: 'running', bytesDone: 0, bytesTotal: 0, startedAt: Date.now() });
    let last = 0;
    // Concurrency 1 on the main thread: the browser's requests stay answered while the check runs.
    verifyDataset(this.dir, {
      concurrency: 1,
      threads: false,
      onProgress: (done, total) => {
        const now = performance.now();
        if (now - last < 100 && done < total) return; // at most ten updates a second reach the page
        last = now;
        this.set({ ...this.current, bytesDone: done, bytesTotal: total });
      },
    }).then(
      (report) => this.set(this.finished(report)),
      (err: unknown) => this.set({ ...this.current, state: 'failed', error: err instanceof Error ? err.message : String(err) }),
    );
    return this.current;
  }

  /** Calls `fn` with every state change until the returned function is called. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(state: VerifyState): void {
    this.current = state;
    for (const fn of this.listeners) fn(state);
  }

  private finished(r: VerifyReport): VerifyState {
    const byShard = new Map<string, Problem[]>(this.manifest.shards.map((s) => [s.file, []]));
    const other: Problem[] = [];
    for (const p of r.problems) {
      const list = p.shard !== undefined ? byShard.get(p.shard) : undefined;
      if (list) list.push(p);
      else other.push(p);
    }
    const shards = this.manifest.shards.map((s) => {
      const problems = byShard.get(s.file)!;
      return { file: s.file, samples: s.samples, bytes: s.bytes, ok: problems.length === 0, problems };
    });
    return { ...this.current, state: 'done', bytesDone: r.bytes, bytesTotal: Math.max(r.bytes, this.current.bytesTotal), ok: r.ok, shards, other, warnings: r.warnings, seconds: r.seconds, mbPerSec: r.mbPerSec };
  }
}
