// Worker thread: decodes DICOM/NIfTI files (synchronous JS/WASM) and plain greyscale PNGs off the main thread, one job at a time.
import { parentPort } from 'node:worker_threads';
import { InputError } from './errors.js';
import { mapMedicalFile, type MedicalJob } from './medical-slices.js';
import { decodePngSlice, type Preprocessed, type PreprocessOptions } from './png-slice.js';

export type WorkerRequest =
  | { id: number; file: string; job: MedicalJob }
  /** A PNG: decoded here when png-slice.ts takes it; else the reply says `sharp` and the main thread decodes it. */
  | { id: number; file: string; png: PreprocessOptions };

export type WorkerReply =
  | { id: number; ok: true; samples: Awaited<ReturnType<typeof mapMedicalFile>> | Preprocessed[]; sharp?: true }
  | { id: number; ok: false; file?: string; reason?: string; message: string };

// Requests are taken one at a time, in order (the pool sends the next before this one is answered, so
// it is waiting here): one file's decode never interleaves with another's, and a crash names one file.
let previous: Promise<void> = Promise.resolve();
parentPort!.on('message', (req: WorkerRequest) => {
  previous = previous.then(() => handle(req));
});

function handle(req: WorkerRequest): Promise<void> {
  const work = 'png' in req ? decodePngSlice(req.file, req.png).then((p) => (p ? [p] : undefined)) : mapMedicalFile(req.file, req.job);
  return work.then(
    (decoded) => {
      const samples = decoded ?? [];
      const reply: WorkerReply = decoded ? { id: req.id, ok: true, samples } : { id: req.id, ok: true, samples, sharp: true };
      // The pixel buffers move to the main thread instead of being copied.
      parentPort!.postMessage(reply, samples.map((s) => s.bytes.buffer as ArrayBuffer));
    },
    (err: unknown) => {
      const reply: WorkerReply =
        err instanceof InputError ? { id: req.id, ok: false, file: err.file, reason: err.reason, message: err.message } : { id: req.id, ok: false, message: err instanceof Error ? err.message : String(err) };
      parentPort!.postMessage(reply);
    },
  );
}
