/** See build-c.mjs. */
export function buildC(name: string, options?: { headers?: string[]; flags?: string[]; dir?: string }): string;
