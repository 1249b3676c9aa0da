// 'none': manifest order, for validation and debugging.
import { totalSamples, type ShuffleFn } from './types.js';

export const none: ShuffleFn = ({ shardSizes }) => Uint32Array.from({ length: totalSamples(shardSizes) }, (_, i) => i);
