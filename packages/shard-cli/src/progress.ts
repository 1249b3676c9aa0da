// Progress on long work: a bar with rate and ETA on a TTY, a plain line every few seconds otherwise.
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number, extra?: string): void;
  stop(): void;
}

export function createProgress(label: string, opts: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return { update() {}, stop() {} };
  if (stream.isTTY) return ttyBar(label, stream);
  return logLines(label, stream);
}

function ttyBar(label: string, stream: NodeJS.WriteStream): Progress {
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% {value}/{total} | {rate}/s | ETA {eta_formatted} {extra}`, stream, hideCursor: true, etaBuffer: 200 },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  let running = false;
  return {
    update(done, total, extra = '') {
      const rate = (done / Math.max(1e-3, (performance.now() - started) / 1000)).toFixed(0);
      if (!running) {
        bar.start(total, done, { rate, extra });
        running = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { rate, extra });
      }
    },
    stop() {
      if (running) bar.stop();
    },
  };
}

function logLines(label: string, stream: NodeJS.WriteStream, everyMs = 5000): Progress {
  const started = performance.now();
  let last = started;
  let lastDone = -1;
  let final = { done: 0, total: 0, extra: '' };
  const print = () => {
    const secs = (performance.now() - started) / 1000;
    const rate = final.done / Math.max(1e-3, secs);
    const eta = rate > 0 ? (final.total - final.done) / rate : 0;
    stream.write(`${label}: ${final.done}/${final.total} (${rate.toFixed(0)}/s, ${secs.toFixed(1)}s elapsed, ETA ${eta.toFixed(0)}s)${final.extra ? ` ${final.extra}` : ''}\n`);
    lastDone = final.done;
  };
  return {
    update(done, total, extra = '') {
      final = { done, total, extra };
      const now = performance.now();
      if (now - last >= everyMs) {
        last = now;
        print();
      }
    },
    stop() {
      if (final.total > 0 && lastDone !== final.done) print();
    },
  };
}
