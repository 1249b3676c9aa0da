// Registry of weight sources (`balance: <name>`) and the weighted draw every one feeds.
import { balanceLabels } from './balance-labels.js';
import type { WeightSource } from './types.js';

export type BalanceMode = 'labels';

export const BALANCES: Record<BalanceMode, WeightSource> = { labels: balanceLabels };
export const BALANCE_MODES = Object.keys(BALANCES) as BalanceMode[];

export function getBalance(mode: string): WeightSource {
  const fn = BALANCES[mode as BalanceMode];
  if (!fn) throw new RangeError(`unknown balance mode ${JSON.stringify(mode)} (expected ${BALANCE_MODES.join(', ')})`);
  return fn;
}

export { aliasTable, type AliasTable } from './alias-table.js';
export { drawWeighted } from './weighted.js';
export type { DrawInput, WeightSource } from './types.js';
