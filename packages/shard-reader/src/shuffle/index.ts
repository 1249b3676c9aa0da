// Registry of shuffle modes: the mode name is the key, each mode one file with one signature.
import { block } from './block.js';
import { global } from './global.js';
import { none } from './none.js';
import type { ShuffleFn, ShuffleMode } from './types.js';

export const SHUFFLES: Record<ShuffleMode, ShuffleFn> = { global, block, none };
export const SHUFFLE_MODES = Object.keys(SHUFFLES) as ShuffleMode[];

export function getShuffle(mode: string): ShuffleFn {
  const fn = SHUFFLES[mode as ShuffleMode];
  if (!fn) throw new RangeError(`unknown shuffle mode ${JSON.stringify(mode)} (expected ${SHUFFLE_MODES.join(', ')})`);
  return fn;
}

export { blockWindows } from './block.js';
export type { ShuffleFn, ShuffleInput, ShuffleMode } from './types.js';
