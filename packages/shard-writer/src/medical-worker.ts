// Worker thread: decodes DICOM/NIfTI files (synchronous JS/WASM) and plain greyscale PNGs, and scans inputs for the plan, off the main thread, one job at a time.
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { InputError } from './errors.js';
import { mapMedicalFile, type MedicalJob } from './medical-slices.js';
import { decodePngSlice, isPngName, type Preprocessed, type PreprocessOptions } from './png-slice.js';
import { scanInput, type InputScan } from './scan-input.js';

export type WorkerRequest =
  | { id: number; file: string; job: MedicalJob }
  /** A PNG: decoded here when png-slice.ts takes it; else the reply says `sharp` and the main thread decodes it. */
  | { id: number; file: string; png: PreprocessOptions }
  /** Planning: the file's size and SHA-256, and its header when `dicom` (scan-input.ts). */
  | { id: number; file: string; scan: { dicom: boolean } };

export type WorkerReply =
  | { id: number; ok: true; scan: InputScan }
  | { id: number; ok: true; samples: Awaited<ReturnType<typeof mapMedicalFile>> | Preprocessed[]; sharp?: true }
  | { id: number; ok: false; file?: string; reason?: string; message: string };

/** One message from the pool: several requests, answered together in one message (see GROUP in decode-pool.ts). */
export interface WorkerMessage {
  requests: WorkerRequest[];
}

export interface WorkerAnswer {
  replies: WorkerReply[];
}

// Messages are taken one at a time, in order (the pool sends the next before this one is answered, so
// it is waiting here): one file's decode never interleaves with another's.
let previous: Promise<void> = Promise.resolve();
parentPort!.on('message', ({ requests }: WorkerMessage) => {
  previous = previous.then(async () => {
    const replies: WorkerReply[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const req of requests) replies.push(await handle(req, transfer));
    parentPort!.postMessage({ replies } satisfies WorkerAnswer, transfer);
  });
});

/** A PNG's bytes, read synchronously (this thread does nothing else meanwhile); undefined leaves it to the async path, which reports why. */
function readPng(file: string): Uint8Array | undefined {
  if (!isPngName(file)) return undefined;
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

function handle(req: WorkerRequest, transfer: ArrayBuffer[]): Promise<WorkerReply> {
  if ('scan' in req) return Promise.resolve({ id: req.id, ok: true, scan: scanInput(req.file, req.scan.dicom) });
  const work = 'png' in req ? decodePngSlice(req.file, req.png, readPng(req.file)).then((p) => (p ? [p] : undefined)) : mapMedicalFile(req.file, req.job);
  return work.then(
    (decoded): WorkerReply => {
      const samples = decoded ?? [];
      // The pixel buffers move to the main thread instead of being copied.
      for (const s of samples) transfer.push(s.bytes.buffer as ArrayBuffer);
      return decoded ? { id: req.id, ok: true, samples } : { id: req.id, ok: true, samples, sharp: true };
    },
    (err: unknown): WorkerReply =>
      err instanceof InputError ? { id: req.id, ok: false, file: err.file, reason: err.reason, message: err.message } : { id: req.id, ok: false, message: err instanceof Error ? err.message : String(err) },
  );
}
