// Starts the real servers remote tests read from (Ceph RGW for S3, nginx for HTTP ranges) and stops them.
// When they cannot be installed (no apt, not root) the caller gets a reason to print and skip on.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
// The SDK warns that its releases after January 2027 need Node 22; it says nothing about these tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const scripts = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/servers');

export interface RunningServer {
  /** Base URL, http://127.0.0.1:PORT */
  endpoint: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface Rgw extends RunningServer {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/** Installs what is missing (once per machine); a string says why the servers cannot be had here. */
export async function ensureInstalled(): Promise<string | undefined> {
  try {
    await run('bash', [path.join(scripts, 'install.sh')], { timeout: 540_000 });
    return undefined;
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    if (e.code === 3) return (e.stderr ?? '').trim() || 'servers cannot be installed here';
    throw err;
  }
}

const live = new Set<string>();
// A test process that dies must not leave daemons behind.
process.once('exit', () => {
  for (const cmd of live) {
    const [script, dir] = cmd.split('\0');
    try {
      execFileSync('bash', [script, 'stop', dir], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // best effort at exit
    }
  }
});

async function start(script: string, args: string[]): Promise<{ env: Record<string, string>; stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shard-srv-'));
  rmSync(dir, { recursive: true }); // the script wants to create (and own) its folder
  const file = path.join(scripts, script);
  const key = `${file}\0${dir}`;
  live.add(key);
  let stdout: string;
  try {
    ({ stdout } = await run('bash', [file, 'start', dir, ...args], { timeout: 120_000 }));
  } catch (err) {
    live.delete(key);
    throw new Error(`${script} start failed: ${(err as { stderr?: string }).stderr ?? err}`);
  }
  const env = Object.fromEntries(stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  let stopped = false;
  return {
    env,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      live.delete(key);
      await run('bash', [file, 'stop', dir], { timeout: 30_000 });
    },
  };
}

export async function startRgw(): Promise<Rgw> {
  const { env, stop } = await start('ceph-rgw.sh', []);
  return { endpoint: env.S3_ENDPOINT, accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, region: env.AWS_REGION, env, stop };
}

export interface Nginx extends RunningServer {
  /** The same folder over TLS: https://127.0.0.1:PORT, with a self-signed certificate. */
  httpsEndpoint: string;
  /** That certificate (PEM): trusted only by a client told to, e.g. through NODE_EXTRA_CA_CERTS. */
  ca: string;
}

/** nginx serving `root` with byte ranges, over HTTP and HTTPS. */
export async function startNginx(root: string): Promise<Nginx> {
  const { env, stop } = await start('nginx-range.sh', [root]);
  return { endpoint: env.HTTP_ENDPOINT, httpsEndpoint: env.HTTPS_ENDPOINT, ca: env.HTTPS_CA, env, stop };
}
