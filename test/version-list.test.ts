import { describe, expect, it } from 'vitest';
import { bisectRange, versionList } from '../src/bisect/version-list.js';

describe('the versions to bisect', () => {
  it('are ordered as versions, not as strings (2.9 before 2.10), each once', async () => {
    const { entries } = await versionList({ versions: ['2.10.0', '2.9.0', 'v2.9.1', '2.9', '2.10.0'] });
    expect(entries.map((e) => e.version)).toEqual(['2.9.0', '2.9.1', '2.10.0']);
  });

  it('are cut between the two ends, which must be in the list and in order', async () => {
    const { entries, from } = await versionList({ versions: ['2.2.0', '2.3.0', '2.3.1', '2.4.0', '2.10.0'] });
    expect(bisectRange(entries, from, '2.3.0', '2.10.0', false).map((e) => e.version)).toEqual([
      '2.3.0',
      '2.3.1',
      '2.4.0',
      '2.10.0',
    ]);
    expect(() => bisectRange(entries, from, '2.10.0', '2.3.0', false)).toThrow();
    expect(() => bisectRange(entries, from, '9.9.9', '2.3.0', false)).toThrow(/9\.9\.9 is not among/);
  });
});
