// Bounded on-disk cache of whole remote objects (shards, indexes), shared safely by processes on one host.
//
// Layout of cacheDir (nothing else in it is ever touched):
//   .shard-cache                marker
//   objects/<sha256>.obj        a verified download, named by the SHA-256 the manifest gives it
//   objects/<sha256>.<pid>.<bytes>.<nonce>.part   a download in progress; its bytes are reserved up front
//   pins/<sha256>.<pid>         process <pid> has the object in use: it is never evicted
//   locks/                      proper-lockfile locks: 'space' (accounting, eviction) and one per object download
//   waits/<pid>                 process <pid> is waiting for room: others let go of the objects they only keep
// Content addressing makes a hit exact: an object from another build has another name, never stale bytes.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { MANIFEST_FILE } from 'shard-format';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CacheFullError } from './errors.js';

export { CacheFullError };
import { downloadObject, type DownloadSink } from './download.js';
import { Ingest, downloadInThread } from './ingest.js';
import { HELD, fileLock, type FileLock } from './file-lock.js';
import type { ObjectStore } from './object-store.js';

export interface CacheOptions {
  cacheDir: string;
  /** Upper bound on the bytes of objects (complete and in progress) in cacheDir, for every process sharing it. */
  cacheBytes: number;
  /** How long to wait for space held by other processes' shards in use before failing (default 120 s). */
  spaceWaitMs?: number;
  /** Whole downloads whose SHA-256 is wrong before the object is reported (default 3). */
  digestAttempts?: number;
  /** Where lock warnings go; default process.emitWarning. */
  onWarning?: (message: string) => void;
}

/** An object to cache, as the manifest describes it. */
export interface CacheEntry {
  /** Key in the store. */
  key: string;
  bytes: number;
  sha256: string;
}

export interface CacheUsage {
  /** Bytes of complete objects plus bytes reserved by downloads in progress. */
  bytes: number;
  objects: number;
  /** Objects some live process has pinned. */
  pinned: number;
}

const MARKER = '.shard-cache';
const OBJ = /^([0-9a-f]{64})\.obj$/;
const PART = /^([0-9a-f]{64})\.(\d+)\.(\d+)\.[0-9a-f]+\.part$/;
const PIN = /^([0-9a-f]{64})\.(\d+)$/;
const WAIT = /^(\d+)$/;
/** How often a process keeping objects looks for another one waiting for room. */
const WAIT_POLL_MS = 100;

/** What one reservation attempt got: a part file holding the bytes, or what holds the space (`ours`: by this process). */
type Attempt = { part: string } | { pinned: number; processes: number; ours: number };

/** Work done under the space lock: `scan` is the cycle's scan if one was taken yet; `take` takes it once. */
type LockedWork<T> = (scan: Scan | undefined, take: () => Scan) => T;

interface Scan {
  objects: { sha: string; file: string; size: number; mtimeMs: number }[];
  reserved: number;
  /** Of which by downloads of this process. */
  reservedOurs: number;
  /** sha -> pids of live processes pinning it. */
  pins: Map<string, Set<number>>;
}

export class ShardCache {
  private readonly objects: string;
  private readonly pinsDir: string;
  private readonly locksDir: string;
  private readonly waitsDir: string;
  private readonly space: FileLock;
  private readonly pinCount = new Map<string, number>();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly spaceWaitMs: number;
  private readonly digestAttempts: number;
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly cacheBytes: number,
    options: CacheOptions,
  ) {
    this.objects = path.join(dir, 'objects');
    this.pinsDir = path.join(dir, 'pins');
    this.locksDir = path.join(dir, 'locks');
    this.waitsDir = path.join(dir, 'waits');
    this.spaceWaitMs = options.spaceWaitMs ?? 120_000;
    this.digestAttempts = options.digestAttempts ?? 3;
    const warn = options.onWarning ?? ((m: string) => process.emitWarning(m, 'ShardCacheWarning'));
    this.onCompromised = (err) => warn(`shard-reader: cache lock in ${dir} was taken over (${err.message}); the event loop stalled longer than the lock's stale time`);
    this.space = fileLock(path.join(this.locksDir, 'space'), this.onCompromised);
  }

  private readonly onCompromised: (err: Error) => void;

  /** Opens (creating) a cache folder. Refuses a dataset folder: a cache never shares a folder with data. */
  static open(options: CacheOptions): ShardCache {
    const { cacheDir, cacheBytes } = options;
    if (typeof cacheDir !== 'string' || cacheDir === '') throw new RangeError('cacheDir must be a folder path');
    if (!Number.isSafeInteger(cacheBytes) || cacheBytes <= 0) throw new RangeError(`cacheBytes must be an integer > 0 (got ${cacheBytes})`);
    if (options.digestAttempts !== undefined && (!Number.isInteger(options.digestAttempts) || options.digestAttempts < 1)) throw new RangeError(`digestAttempts must be an integer >= 1 (got ${options.digestAttempts})`);
    const dir = path.resolve(cacheDir);
    if (existsSync(path.join(dir, MANIFEST_FILE))) throw new RangeError(`cacheDir ${dir} holds a dataset (manifest.json): give the cache a folder of its own`);
    for (const d of [dir, path.join(dir, 'objects'), path.join(dir, 'pins'), path.join(dir, 'locks'), path.join(dir, 'waits')]) mkdirSync(d, { recursive: true });
    const marker = path.join(dir, MARKER);
    if (!existsSync(marker)) writeFileSync(marker, 'shard-reader cache: objects/ holds downloads named by SHA-256; safe to delete when no reader runs\n');
    return new ShardCache(dir, cacheBytes, options);
  }

  /** Where a verified object lives once cached. */
  pathOf(entry: Pick<CacheEntry, 'sha256'>): string {
    return path.join(this.objects, `${entry.sha256}.obj`);
  }

  /**
   * Makes `entry` present (downloading and verifying it if needed) and pins it for this process until as
   * many release() calls as acquire() calls. Resolves to its path.
   */
  async acquire(store: ObjectStore, entry: CacheEntry): Promise<string> {
    this.assertOpen();
    if (!/^[0-9a-f]{64}$/.test(entry.sha256)) throw new RangeError(`${store.urlOf(entry.key)}: not a SHA-256: ${entry.sha256}`);
    if (entry.bytes > this.cacheBytes) throw new CacheFullError(`${store.urlOf(entry.key)} is ${entry.bytes} bytes, more than cacheBytes ${this.cacheBytes}`);
    const sha = entry.sha256;
    const n = this.pinCount.get(sha) ?? 0;
    if (n > 0) {
      this.pinCount.set(sha, n + 1);
      return this.pathOf(entry);
    }
    let p = this.pending.get(sha);
    if (!p) {
      p = this.load(store, entry).finally(() => this.pending.delete(sha));
      this.pending.set(sha, p);
    }
    await p;
    this.pinCount.set(sha, (this.pinCount.get(sha) ?? 0) + 1);
    return this.pathOf(entry);
  }

  /** Drops one pin; the last one makes the object evictable again. */
  release(entry: Pick<CacheEntry, 'sha256'>): void {
    if (this.closed) return; // close() dropped every pin already (a release delayed past it)
    const n = this.pinCount.get(entry.sha256) ?? 0;
    if (n <= 0) throw new Error(`release of ${entry.sha256} without a matching acquire`);
    if (n > 1) {
      this.pinCount.set(entry.sha256, n - 1);
      return;
    }
    this.pinCount.delete(entry.sha256);
    // Synchronous: a later acquire's pin (same file name) must never be removed by this one landing late.
    rmSync(this.pinFile(entry.sha256));
  }

  /**
   * Drops one pin once `until` settles (readers in other threads letting go of the file). Until then its bytes
   * count as this process's, but a download that needs them waits for the release instead of failing.
   */
  releaseAfter(entry: CacheEntry, until: Promise<unknown>): void {
    this.releasingBytes += entry.bytes;
    const done: Promise<void> = until
      .catch(() => {})
      .then(() => {
        this.releasing.delete(done);
        this.releasingBytes -= entry.bytes;
        this.release(entry);
      });
    this.releasing.add(done);
  }

  private readonly releasing = new Set<Promise<void>>();
  /** Bytes of objects whose last pin is about to be dropped (releaseAfter). */
  releasingBytes = 0;

  /** True when this process has the object pinned. */
  isPinned(entry: Pick<CacheEntry, 'sha256'>): boolean {
    return (this.pinCount.get(entry.sha256) ?? 0) > 0;
  }

  /** Objects kept after use (keep): sha -> the entry and how its readers let go. */
  private readonly kept = new Map<string, { entry: CacheEntry; letGo: () => unknown }>();
  private watch: NodeJS.Timeout | undefined;
  /** Reclaims that let go of something, so far: a reservation's scan older than the last one may show stale pins. */
  private reclaims = 0;

  /**
   * Keeps an object pinned after its last reader is done with it, its readers (descriptor, mappings) left
   * open by the caller: a later use then needs no lock cycle, no open and no new mapping. Kept objects are
   * let go of (`letGo` closes the readers; a returned promise delays the unpin until it settles) as soon as
   * room is wanted: by a reservation of this process, by another process sharing the folder that waits for
   * room (it says so in waits/, looked at every 100 ms), or by reclaim(). The caller holds a pin on it.
   */
  keep(entry: CacheEntry, letGo: () => unknown): void {
    this.assertOpen();
    const n = this.pinCount.get(entry.sha256) ?? 0;
    if (n <= 0) throw new Error(`keep of ${entry.sha256}, which is not pinned`);
    if (this.kept.has(entry.sha256)) return;
    this.pinCount.set(entry.sha256, n + 1);
    this.kept.set(entry.sha256, { entry, letGo });
    try {
      const now = new Date();
      utimesSync(this.pathOf(entry), now, now); // last used now: least recently used goes first once let go
    } catch {
      // pinned, so present; a failed touch only changes the eviction order
    }
    this.watch ??= setInterval(() => {
      if (this.othersWaiting()) void this.reclaim();
    }, WAIT_POLL_MS).unref();
  }

  /** Takes a kept object back into use: true when it was kept (its readers are still open). The caller holds its own pin. */
  unkeep(entry: Pick<CacheEntry, 'sha256'>): boolean {
    if (!this.kept.delete(entry.sha256)) return false;
    this.release(entry);
    this.stopWatch();
    return true;
  }

  /** Bytes of the objects kept after use. */
  get keptBytes(): number {
    let n = 0;
    for (const k of this.kept.values()) n += k.entry.bytes;
    return n;
  }

  /** Lets go of every kept object (readers closed, then unpinned); resolves once each pin has dropped. */
  reclaim(): Promise<void> {
    if (this.kept.size > 0) this.reclaims++;
    for (const [sha, k] of [...this.kept]) {
      this.kept.delete(sha);
      let closing: unknown;
      try {
        closing = k.letGo();
      } catch {
        closing = undefined;
      }
      if (closing instanceof Promise) this.releaseAfter(k.entry, closing);
      else this.release(k.entry);
    }
    this.stopWatch();
    return Promise.all(this.releasing).then(() => undefined);
  }

  private stopWatch(): void {
    if (this.kept.size > 0 || !this.watch) return;
    clearInterval(this.watch);
    this.watch = undefined;
  }

  /** True when a live process other than this one is waiting for room in the folder. */
  private othersWaiting(): boolean {
    let names: string[];
    try {
      names = readdirSync(this.waitsDir);
    } catch {
      return false;
    }
    for (const name of names) {
      const m = WAIT.exec(name);
      if (!m || Number(m[1]) === process.pid) continue;
      if (alive(Number(m[1]))) return true;
      rmSync(path.join(this.waitsDir, name)); // a dead process's: it waits no more
    }
    return false;
  }

  usage(): CacheUsage {
    const s = this.scan(false);
    return { bytes: s.objects.reduce((a, o) => a + o.size, 0) + s.reserved, objects: s.objects.length, pinned: s.objects.filter((o) => s.pins.has(o.sha)).length };
  }

  /** Releases every pin of this process. Downloads still running finish or fail on their own. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.inThread) job.cancel();
    this.kept.clear();
    this.stopWatch();
    for (const sha of this.pinCount.keys()) rmSync(this.pinFile(sha));
    this.pinCount.clear();
  }

  private pinFile(sha: string): string {
    return path.join(this.pinsDir, `${sha}.${process.pid}`);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`cache ${this.dir} is closed`);
  }

  /** Present and pinned on return: a hit, another process's download waited for, or a download of our own. */
  private async load(store: ObjectStore, entry: CacheEntry): Promise<void> {
    const file = this.pathOf(entry);
    const objectLock = fileLock(path.join(this.locksDir, entry.sha256), this.onCompromised);
    for (let wait = 10; ; wait = Math.min(200, wait * 2)) {
      if (await this.pinIfPresent(entry, file)) return;
      const unlock = await objectLock.tryAcquire();
      if (unlock === HELD) {
        // Another process is downloading it: wait for it to land, never fetch the same object twice at once.
        await sleep(wait);
        continue;
      }
      try {
        if (existsSync(file)) continue; // landed between the check and the lock
        const part = await this.reserve(store, entry);
        try {
          await this.download(store, entry, part);
        } catch (err) {
          await rm(part, { force: true });
          throw err;
        }
        // Pinned before it exists under its name, so no eviction can ever see it unpinned: no space lock needed
        // (a cycle of it cost ~50 ms per shard while downloads kept the event loop busy).
        writeFileSync(this.pinFile(entry.sha256), '');
        try {
          renameSync(part, file);
        } catch (err) {
          rmSync(this.pinFile(entry.sha256));
          throw err;
        }
        return;
      } finally {
        await unlock();
      }
    }
  }

  /** Under the space lock (so no eviction runs between the check and the pin): pins a complete object. */
  private async pinIfPresent(entry: CacheEntry, file: string): Promise<boolean> {
    if (!existsSync(file)) return false; // a miss needs no lock: the download path takes it
    return this.underSpaceLock((scan) => {
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        return false;
      }
      if (size !== entry.bytes) {
        rmSync(file); // not what its name promises (a damaged cache): ours to replace
        return false;
      }
      writeFileSync(this.pinFile(entry.sha256), '');
      const now = new Date();
      utimesSync(file, now, now); // least recently used goes first
      // A reservation later in this lock cycle must see the pin (its scan was taken before).
      if (scan) {
        let pids = scan.pins.get(entry.sha256);
        if (!pids) scan.pins.set(entry.sha256, (pids = new Set()));
        pids.add(process.pid);
      }
      return true;
    });
  }

  /**
   * Reserves the object's bytes before a byte is written, evicting least recently used unpinned objects,
   * so neither this process nor any other sharing the folder ever takes it past cacheBytes.
   */
  private async reserve(store: ObjectStore, entry: CacheEntry): Promise<string> {
    const deadline = Date.now() + this.spaceWaitMs;
    const waitFile = path.join(this.waitsDir, String(process.pid));
    let waiting = false;
    try {
      for (let wait = 20; ; wait = Math.min(500, wait * 2)) {
        const reclaims = this.reclaims;
        const r = await this.underSpaceLock((_, scan) => this.tryReserve(scan(), store, entry));
        if ('part' in r) return r.part;
        // What this process only keeps for speed goes first; then what it is letting go of is waited for. A
        // reclaim since this attempt's scan (by another reservation of the same lock cycle) means it saw pins
        // that are gone now: try again rather than report them.
        if (this.kept.size > 0 || this.releasing.size > 0 || this.reclaims !== reclaims) {
          await this.reclaim();
          continue;
        }
        // What else this process pins or is downloading will not be released while it waits here: waiting cannot help.
        if (r.ours + entry.bytes > this.cacheBytes) {
          throw new CacheFullError(`cacheDir ${this.dir}: ${store.urlOf(entry.key)} (${entry.bytes} bytes) does not fit: this process has ${r.ours} of the ${this.cacheBytes} cacheBytes in use`);
        }
        if (Date.now() > deadline) {
          throw new CacheFullError(`cacheDir ${this.dir}: no room for ${store.urlOf(entry.key)} (${entry.bytes} bytes) after ${Math.round(this.spaceWaitMs / 1000)} s: ${r.pinned} of the ${this.cacheBytes} cacheBytes are in use by ${r.processes} process(es) sharing the folder (or downloading); raise cacheBytes`);
        }
        if (!waiting) {
          // Other processes keeping objects after use let go of them when they see this.
          mkdirSync(this.waitsDir, { recursive: true });
          writeFileSync(waitFile, '');
          waiting = true;
        }
        await sleep(wait);
      }
    } finally {
      if (waiting) rmSync(waitFile);
    }
  }

  private readonly locked: { work: LockedWork<unknown>; resolve: (r: unknown) => void; reject: (err: unknown) => void }[] = [];
  private cycle: Promise<void> | undefined;

  /**
   * Runs `work` under the space lock. Work queued meanwhile (pins, reservations) shares one cycle of the lock
   * and one scan of the folder: a window fetched ahead asks for several shards at once, and one lock cycle
   * each (~50 ms while downloads keep the event loop busy) delayed the last download's start by a second.
   */
  private underSpaceLock<T>(work: LockedWork<T>): Promise<T> {
    const p = new Promise<T>((resolve, reject) => this.locked.push({ work, resolve: resolve as (r: unknown) => void, reject }));
    this.cycle ??= this.runAttempts().catch(() => {}); // a failed unlock: the lock goes stale, nothing to report to
    return p;
  }

  private async runAttempts(): Promise<void> {
    try {
      while (this.locked.length > 0) {
        const batch = this.locked.splice(0);
        let release: () => Promise<void>;
        try {
          release = await this.space.acquire();
        } catch (err) {
          batch.forEach((b) => b.reject(err));
          continue;
        }
        try {
          let s: Scan | undefined;
          const scan = () => (s ??= this.scan(true));
          for (const b of batch) {
            try {
              b.resolve(b.work(s, scan));
            } catch (err) {
              b.reject(err);
            }
          }
        } finally {
          await release();
        }
      }
    } finally {
      this.cycle = undefined;
    }
  }

  /** Under the space lock: reserves the entry's bytes in `s` (evicting), or says what blocks it. Updates `s`. */
  private tryReserve(s: Scan, store: ObjectStore, entry: CacheEntry): Attempt {
    let used = s.objects.reduce((a, o) => a + o.size, 0) + s.reserved;
    if (used + entry.bytes > this.cacheBytes) {
      for (const o of s.objects.filter((o) => !s.pins.has(o.sha)).sort((a, b) => a.mtimeMs - b.mtimeMs)) {
        rmSync(o.file);
        s.objects.splice(s.objects.indexOf(o), 1);
        used -= o.size;
        if (used + entry.bytes <= this.cacheBytes) break;
      }
    }
    if (used + entry.bytes <= this.cacheBytes) {
      const part = path.join(this.objects, `${entry.sha256}.${process.pid}.${entry.bytes}.${randomBytes(4).toString('hex')}.part`);
      writeFileSync(part, '', { flag: 'wx' });
      s.reserved += entry.bytes;
      s.reservedOurs += entry.bytes;
      return { part };
    }
    const pids = new Set<number>();
    let pinned = 0;
    let ours = s.reservedOurs;
    for (const o of s.objects) {
      const by = s.pins.get(o.sha);
      if (!by) continue;
      pinned += o.size;
      by.forEach((p) => pids.add(p));
      if (by.has(process.pid)) ours += o.size;
    }
    return { pinned, processes: pids.size, ours };
  }

  /**
   * Downloads into `part` (see downloadObject: resumed after drops, SHA-256 checked, retried). A store the
   * download thread can rebuild (its spec) is fetched there, so this thread never handles the bytes; any
   * other store is received here and hashed and written in that thread (Ingest).
   */
  private async download(store: ObjectStore, entry: CacheEntry, part: string): Promise<void> {
    if (store.spec) {
      const job = downloadInThread(store.spec, entry, part, this.digestAttempts);
      this.inThread.add(job);
      try {
        return await job.done;
      } finally {
        this.inThread.delete(job);
      }
    }
    const fh = await open(part, 'r+');
    const out = new Ingest(fh.fd);
    const sink: DownloadSink = {
      get offset() {
        return out.offset;
      },
      push: (chunk) => out.push(chunk),
      flush: () => out.flush(),
      digest: () => out.digest(),
      restart: async () => {
        await out.restart();
        await fh.truncate(0);
      },
    };
    try {
      await downloadObject(store, entry, sink, this.digestAttempts, () => this.closed);
    } finally {
      await out.close();
      await fh.close();
    }
  }

  /** Downloads running in the download thread: stopped at close. */
  private readonly inThread = new Set<{ cancel(): void }>();

  /** The folder's objects, live reservations and live pins. With `clean`, drops what dead processes left. */
  private scan(clean: boolean): Scan {
    const objects: Scan['objects'] = [];
    let reserved = 0;
    let reservedOurs = 0;
    for (const name of readdirSync(this.objects)) {
      const file = path.join(this.objects, name);
      let m = OBJ.exec(name);
      if (m) {
        try {
          const st = statSync(file);
          objects.push({ sha: m[1], file, size: st.size, mtimeMs: st.mtimeMs });
        } catch {
          // evicted by another process while listing
        }
        continue;
      }
      m = PART.exec(name);
      if (m) {
        if (alive(Number(m[2]))) {
          let size = 0;
          try {
            size = statSync(file).size;
          } catch {
            continue;
          }
          const bytes = Math.max(Number(m[3]), size);
          reserved += bytes;
          if (Number(m[2]) === process.pid) reservedOurs += bytes;
        } else if (clean) rmSync(file);
      }
      // Anything else is not ours: never counted, never deleted.
    }
    const pins = new Map<string, Set<number>>();
    for (const name of readdirSync(this.pinsDir)) {
      const m = PIN.exec(name);
      if (!m) continue;
      const pid = Number(m[2]);
      if (!alive(pid)) {
        if (clean) rmSync(path.join(this.pinsDir, name));
        continue;
      }
      let set = pins.get(m[1]);
      if (!set) pins.set(m[1], (set = new Set()));
      set.add(pid);
    }
    return { objects, reserved, reservedOurs, pins };
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function rmSync(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
