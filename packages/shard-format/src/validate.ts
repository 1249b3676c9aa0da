// Small typed checks for JSON from disk: every failure names the file and the JSON path.
import { FormatError } from './errors.js';

export class JsonChecker {
  constructor(readonly file: string) {}

  fail(path: string, message: string): never {
    throw new FormatError(`${path} ${message}`, { file: this.file });
  }

  object(value: unknown, path: string): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(path, 'must be an object');
    return value as Record<string, unknown>;
  }

  /** Refuses keys this version does not define: a field we would ignore may be one the writer relied on. */
  only(o: Record<string, unknown>, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.fail(path, `has unknown field ${JSON.stringify(k.slice(0, 80))}`);
  }

  array(value: unknown, path: string, maxLength: number): unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'must be an array');
    if (value.length > maxLength) this.fail(path, `has ${value.length} entries (limit ${maxLength})`);
    return value;
  }

  string(value: unknown, path: string, maxLength = 4096): string {
    if (typeof value !== 'string') this.fail(path, 'must be a string');
    if (value.length > maxLength) this.fail(path, `is longer than ${maxLength} characters`);
    return value;
  }

  int(value: unknown, path: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) this.fail(path, 'must be an integer');
    if (value < min || value > max) this.fail(path, `is ${value}, outside ${min}..${max}`);
    return value;
  }

  number(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(path, 'must be a finite number');
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, options: readonly T[]): T {
    if (typeof value !== 'string' || !options.includes(value as T)) this.fail(path, `must be one of ${options.join(', ')}`);
    return value as T;
  }

  hex(value: unknown, path: string, bytes: number): string {
    const s = this.string(value, path, bytes * 2);
    if (!new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(s)) this.fail(path, `must be ${bytes * 2} lowercase hex digits`);
    return s;
  }

  /** A plain file name inside the dataset folder: no separators, no `..`, nothing absolute. */
  fileName(value: unknown, path: string): string {
    const s = this.string(value, path, 255);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s) || s.includes('..')) this.fail(path, `must be a plain file name inside the dataset folder (got ${JSON.stringify(s)})`);
    return s;
  }
}

export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FormatError(`not valid JSON (${(err as Error).message})`, { file });
  }
}
