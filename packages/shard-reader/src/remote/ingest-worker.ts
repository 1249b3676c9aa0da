// Worker thread: hashes a download's blocks (SHA-256) and writes them to its part file, off the main thread.
import { createHash, type Hash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

type Message =
  | { type: 'block'; id: number; fd: number; at: number; block: Uint8Array }
  | { type: 'digest'; id: number }
  | { type: 'reset'; id: number };

const hashes = new Map<number, Hash>();

parentPort!.on('message', (msg: Message) => {
  if (msg.type === 'reset') {
    hashes.delete(msg.id);
    return;
  }
  if (msg.type === 'digest') {
    const h = hashes.get(msg.id) ?? createHash('sha256');
    hashes.delete(msg.id);
    parentPort!.postMessage({ type: 'digest', id: msg.id, hex: h.digest('hex') });
    return;
  }
  try {
    let h = hashes.get(msg.id);
    if (!h) hashes.set(msg.id, (h = createHash('sha256')));
    h.update(msg.block);
    for (let done = 0; done < msg.block.length; ) done += writeSync(msg.fd, msg.block, done, msg.block.length - done, msg.at + done);
    parentPort!.postMessage({ type: 'written', id: msg.id });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    parentPort!.postMessage({ type: 'written', id: msg.id, error: { message: e.message, code: e.code } });
  }
});
