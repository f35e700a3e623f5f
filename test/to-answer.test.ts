import { describe, expect, it } from 'vitest';
import { toAnswer } from '../src/bisect/to-answer.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { reproductionOf } from '../src/probe/reproduction.js';
import type { Observation } from '../src/probe/verdict.js';

const result = (status: ProbeResult['status'], outcome: Observation['outcome'] | null) =>
  ({
    status,
    observed: outcome ? { outcome, summary: '', frames: [], definitions: [], depth: null, entry: [] } : null,
  }) as unknown as ProbeResult;

describe('what a probe says of the overflow', () => {
  it.each([
    ['pass', 'cycle', 'reproduces'],
    ['fail', 'overflow-exception', 'reproduces'],
    ['pass', 'overflow-without-cycle', 'reproduces'],
    ['pass', 'clean', 'clean'],
    // A hang or an incomplete run says nothing about the overflow: never "clean".
    ['fail', 'hang', 'untestable'],
    ['fail', 'incomplete', 'untestable'],
    ['fail', 'crash', 'untestable'],
    ['untestable', 'no-evidence', 'untestable'],
    ['untestable', null, 'untestable'],
    ['not-applicable', null, 'untestable'],
    // What was observed does not count when the probe itself says it cannot be judged.
    ['untestable', 'cycle', 'untestable'],
    ['not-applicable', 'cycle', 'untestable'],
    ['pass', null, 'untestable'],
  ] as const)('a %s result that observed %s: %s', (status, outcome, expected) => {
    expect(reproductionOf(result(status, outcome))).toBe(expected);
  });

  it('bisect reads it as bad when looking for the regression, and as good when looking for the fix', () => {
    expect(toAnswer('reproduces', false)).toBe('bad');
    expect(toAnswer('clean', false)).toBe('good');
    expect(toAnswer('reproduces', true)).toBe('good');
    expect(toAnswer('clean', true)).toBe('bad');
    expect(toAnswer('untestable', false)).toBe('untestable');
    expect(toAnswer('untestable', true)).toBe('untestable');
  });
});
