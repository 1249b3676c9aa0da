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
