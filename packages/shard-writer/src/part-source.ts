// Where `shard merge` reads a part from: a local folder here; an object-store prefix is another PartSource (shard-cli's s3 glue).
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InputError } from './errors.js';

export interface PartSource {
  /** How messages name the part: its folder or URL. */
  readonly name: string;
  /** The name of one file of the part, for messages (`<folder>/shard-00001.bin`). */
  where(file: string): string;
  /** The file's text, or undefined when the part has no such file. */
  readText(file: string): Promise<string | undefined>;
  /** The file's bytes as a stream. */
  open(file: string): Promise<Readable>;
  /** The file on this machine when it is already local (merge then reads it in place), else undefined. */
  localPath?(file: string): string;
}

/** A part built into a local folder by `shard build --part k/n`. */
export class LocalPartSource implements PartSource {
  constructor(readonly name: string) {}

  where(file: string): string {
    return path.join(this.name, file);
  }

  async readText(file: string): Promise<string | undefined> {
    try {
      return await readFile(this.where(file), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        const st = await stat(this.name).catch(() => undefined);
        if (!st) throw new InputError(this.name, 'does not exist');
        if (!st.isDirectory()) throw new InputError(this.name, 'is not a folder');
        return undefined;
      }
      throw new InputError(this.where(file), `cannot be read (${code ?? (err as Error).message})`);
    }
  }

  async open(file: string): Promise<Readable> {
    const at = this.where(file);
    const st = await stat(at).catch((err: NodeJS.ErrnoException) => {
      throw new InputError(at, err.code === 'ENOENT' ? 'is missing (its part.json names it)' : `cannot be read (${err.code})`);
    });
    if (!st.isFile()) throw new InputError(at, 'is not a file');
    return createReadStream(at, { highWaterMark: 1 << 20 });
  }

  localPath(file: string): string {
    return this.where(file);
  }
}
