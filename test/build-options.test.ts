// Build defaults and choice lists live once in options.ts: resolveOptions applies them and `shard build --help` shows them.
import { describe, expect, it } from 'vitest';
import { buildCommand } from '../packages/shard-cli/src/commands/build.js';
import { BUILD_DEFAULTS, BUILD_DTYPES, FITS, KERNELS, ON_ERROR, resolveOptions } from '../packages/shard-writer/src/options.js';

describe('build options', () => {
  it('resolveOptions fills in exactly BUILD_DEFAULTS', () => {
    const r = resolveOptions({ input: 'in', out: 'out' });
    expect({ size: r.size, dtype: r.dtype, fit: r.fit, kernel: r.kernel, shardBytes: r.shardBytes, onError: r.onError }).toEqual(BUILD_DEFAULTS);
  });

  it('refuses values outside the exported lists', () => {
    expect(() => resolveOptions({ input: 'in', out: 'out', fit: 'stretch' as never })).toThrow(/fit must be contain, cover or fill/);
    expect(() => resolveOptions({ input: 'in', out: 'out', dtype: 'int8' as never })).toThrow(/dtype must be one of uint8, uint16, int16, float32 \(got int8\)/);
    expect(() => resolveOptions({ input: 'in', out: 'out', onError: 'ignore' as never })).toThrow(/on-error must be fail or skip/);
  });

  it("the CLI's build flags take their defaults and choices from the writer", () => {
    const opts = new Map(buildCommand().options.map((o) => [o.attributeName(), o]));
    const flag = (name: string) => opts.get(name)!;
    expect(flag('size').defaultValue).toBe(BUILD_DEFAULTS.size);
    expect([flag('dtype').defaultValue, flag('dtype').argChoices]).toEqual([BUILD_DEFAULTS.dtype, [...BUILD_DTYPES]]);
    expect([flag('fit').defaultValue, flag('fit').argChoices]).toEqual([BUILD_DEFAULTS.fit, [...FITS]]);
    expect([flag('kernel').defaultValue, flag('kernel').argChoices]).toEqual([BUILD_DEFAULTS.kernel, [...KERNELS]]);
    expect(flag('shardBytes').defaultValue).toBe(BUILD_DEFAULTS.shardBytes);
    expect([flag('onError').defaultValue, flag('onError').argChoices]).toEqual([BUILD_DEFAULTS.onError, [...ON_ERROR]]);
  });
});
