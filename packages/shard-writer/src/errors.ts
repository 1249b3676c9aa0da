// The error a user's input causes: one line naming the file (and row) at fault.

export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'InputError';
  }
}

/** A user's value quoted for a message, clipped: a 1 MB CSV field must not become a 1 MB error line. */
export function quote(value: string, max = 80): string {
  return value.length <= max ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, max))}… (${value.length} characters)`;
}
