// CT windowing: maps modality values (HU for CT) to uint8 with the DICOM linear VOI function (PS3.3 C.11.2.1.2).

export interface CtWindow {
  center: number;
  width: number;
}

/** Named windows for head CT (the RSNA 2019 winners' channels) and the usual body ones. */
export const WINDOW_PRESETS: Readonly<Record<string, CtWindow>> = {
  brain: { center: 40, width: 80 },
  subdural: { center: 80, width: 200 },
  bone: { center: 600, width: 2800 },
  'soft-tissue': { center: 40, width: 400 },
  lung: { center: -600, width: 1500 },
};

/** What `--window` may say: a fixed window, or `dicom` (each file's own first WindowCenter/Width). */
export type WindowChoice = CtWindow | 'dicom';

/**
 * Maps `channels`-interleaved values through the window into `dst` (0..255), writing every
 * `stride`-th byte from `at`: so several windows can fill the channels of one pixel.
 */
export function applyWindow(src: ArrayLike<number>, dst: Uint8Array, { center, width }: CtWindow, at = 0, stride = 1): void {
  if (!(width >= 1)) throw new RangeError(`window width must be >= 1 (got ${width})`);
  const lo = center - 0.5 - (width - 1) / 2;
  const hi = center - 0.5 + (width - 1) / 2;
  const base = center - 0.5;
  // width 1: lo and hi meet, every value takes one of the first two branches, so no division by zero.
  for (let i = 0; i < src.length; i++) {
    const x = src[i];
    dst[at + i * stride] = x <= lo ? 0 : x > hi ? 255 : Math.round(((x - base) / (width - 1) + 0.5) * 255);
  }
}

/** Parses "center,width" or a preset name as given on the command line. */
export function parseWindow(text: string): CtWindow {
  const preset = WINDOW_PRESETS[text.trim().toLowerCase()];
  if (preset) return { ...preset };
  const parts = text.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || parts[1] < 1) {
    throw new RangeError(`--window must be <center>,<width> with width >= 1, a preset (${Object.keys(WINDOW_PRESETS).join(', ')}) or dicom (got ${JSON.stringify(text)})`);
  }
  return { center: parts[0], width: parts[1] };
}

/** `--window`: as parseWindow, plus `dicom`. */
export function parseWindowChoice(text: string): WindowChoice {
  return text.trim().toLowerCase() === 'dicom' ? 'dicom' : parseWindow(text);
}

/** `--windows brain,subdural,bone`: presets or `c:w` pairs, one uint8 channel each (2 to 4). */
export function parseWindows(text: string): CtWindow[] {
  const items = text.split(',').map((s) => s.trim());
  const windows = items.map((item) => {
    const preset = WINDOW_PRESETS[item.toLowerCase()];
    if (preset) return { ...preset };
    const m = /^(-?\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(item);
    if (!m || Number(m[2]) < 1) throw new RangeError(`--windows takes presets (${Object.keys(WINDOW_PRESETS).join(', ')}) or <center>:<width> pairs, comma-separated (got ${JSON.stringify(item)})`);
    return { center: Number(m[1]), width: Number(m[2]) };
  });
  if (windows.length < 2 || windows.length > 4) throw new RangeError(`--windows needs 2 to 4 windows, one channel each (got ${windows.length})`);
  return windows;
}
