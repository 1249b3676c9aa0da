// CT windowing: maps stored 16-bit values to uint8 with the DICOM linear VOI function (PS3.3 C.11.2.1.2).

export interface CtWindow {
  center: number;
  width: number;
}

/** Maps every value of `src` through the window into `dst` (0..255). */
export function applyWindow(src: Uint16Array, dst: Uint8Array, { center, width }: CtWindow): void {
  if (!(width >= 1)) throw new RangeError(`window width must be >= 1 (got ${width})`);
  const lo = center - 0.5 - (width - 1) / 2;
  const hi = center - 0.5 + (width - 1) / 2;
  const base = center - 0.5;
  // width 1: lo and hi meet, every value takes one of the first two branches, so no division by zero.
  for (let i = 0; i < src.length; i++) {
    const x = src[i];
    dst[i] = x <= lo ? 0 : x > hi ? 255 : Math.round(((x - base) / (width - 1) + 0.5) * 255);
  }
}

/** Parses "center,width" as given on the command line. */
export function parseWindow(text: string): CtWindow {
  const parts = text.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || parts[1] < 1) {
    throw new RangeError(`--window must be <center>,<width> with width >= 1 (got ${JSON.stringify(text)})`);
  }
  return { center: parts[0], width: parts[1] };
}
