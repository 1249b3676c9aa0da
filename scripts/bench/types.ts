// The shape every benchmark module shares: it gets a context and returns tables, raw figures and target checks.

export interface BenchContext {
  /** `pnpm bench --quick`: small data, short timings, a sanity check in under two minutes. */
  quick: boolean;
  /** Where generated datasets are cached between runs (.bench-data/, git-ignored). */
  dataDir: string;
  /** Seconds each timed read runs for. */
  seconds: number;
  log(line: string): void;
}

export interface BenchTable {
  title: string;
  /** The command that reproduces the table. */
  command: string;
  columns: string[];
  rows: (string | number)[][];
  notes?: string[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

export interface BenchResult {
  name: string;
  tables: BenchTable[];
  /** Raw figures, kept in docs/bench-results.json (quick runs: .bench-data/results-quick.json) and used for the chart. */
  figures: Record<string, number | string | boolean>;
  targets: TargetCheck[];
}

export type Bench = (ctx: BenchContext) => Promise<BenchResult>;

export const fmt = {
  rate: (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1)),
  pct: (x: number) => `${(100 * x).toFixed(0)}%`,
  ratio: (x: number) => `${x.toFixed(2)}x`,
  mb: (bytes: number) => (bytes / 1e6).toFixed(0),
  gbps: (bytesPerSec: number) => (bytesPerSec / 1e9).toFixed(2),
};
