// Runs `shard ...` in-process (the CLI's own main), capturing what it prints and its exit code.
import { vi } from 'vitest';
import { main } from 'shard-cli';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function shard(...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** Runs with environment variables set for the call (e.g. INIT_CWD as pnpm sets it), restored afterwards. */
export async function shardWithEnv(env: Record<string, string | undefined>, ...args: string[]): Promise<CliRun> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const set = (vars: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(env);
  try {
    return await shard(...args);
  } finally {
    set(saved);
  }
}
