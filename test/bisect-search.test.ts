import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Answer, searchFirstBad } from '../src/search/first-bad.js';

/** A monotone list: good before `firstBad`, bad from it, with untestable holes anywhere inside (never at the ends). */
const world = fc.integer({ min: 2, max: 200 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    firstBad: fc.integer({ min: 1, max: n - 1 }),
    holes:
      n > 2
        ? fc.uniqueArray(fc.integer({ min: 1, max: n - 2 }), { maxLength: Math.min(20, n - 2) })
        : fc.constant<number[]>([]),
  }),
);

function oracle(w: { n: number; firstBad: number; holes: number[] }) {
  const holes = new Set(w.holes);
  return (i: number): Answer => (holes.has(i) ? 'untestable' : i < w.firstBad ? 'good' : 'bad');
}

describe('searchFirstBad', () => {
  it('finds the first bad element, or says honestly that untestable ones hide it', async () => {
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        const answer = oracle(w);
        const probed: number[] = [];
        const r = await searchFirstBad(w.n, async (i) => {
          probed.push(i);
          return answer(i);
        });
        expect(new Set(probed).size).toBe(probed.length);
        expect(probed.every((i) => i > 0 && i < w.n - 1)).toBe(true);
        if (r.kind === 'found') {
          expect(r.firstBad).toBe(w.firstBad);
          expect(answer(r.lastGood)).toBe('good');
        } else {
          // Ambiguous only when everything between the last good and the first bad seen
          // is untestable, and the truth is among them.
          expect(r.candidates.slice(0, -1).every((i) => answer(i) === 'untestable')).toBe(true);
          expect(r.candidates).toContain(w.firstBad);
          expect(r.candidates[r.candidates.length - 1]).toBe(r.firstBad);
        }
        // Stepping around an untestable element can cost one more split, never more.
        const untestableMet = probed.filter((i) => answer(i) === 'untestable').length;
        expect(probed.length - untestableMet).toBeLessThanOrEqual(Math.ceil(Math.log2(w.n)) + untestableMet);
      }),
      { numRuns: 5000 },
    );
  });

  it('needs at most ceil(log2 n) + 2 probes with one broken build in the way', async () => {
    for (const n of [3, 8, 17, 32, 100]) {
      for (let firstBad = 1; firstBad < n; firstBad++) {
        for (const hole of [Math.floor(n / 2), firstBad, firstBad - 1].filter((h) => h > 0 && h < n - 1)) {
          let probes = 0;
          const answer = oracle({ n, firstBad, holes: [hole] });
          const r = await searchFirstBad(n, async (i) => {
            probes++;
            return answer(i);
          });
          expect(probes).toBeLessThanOrEqual(Math.ceil(Math.log2(n)) + 2);
          if (r.kind === 'found') expect(r.firstBad).toBe(firstBad);
          else expect(r.candidates).toContain(firstBad);
        }
      }
    }
  });

  it('with every element between the ends untestable, names them all as candidates', async () => {
    const r = await searchFirstBad(5, async () => 'untestable');
    expect(r).toMatchObject({
      kind: 'ambiguous',
      lastGood: 0,
      firstBad: 4,
      candidates: [1, 2, 3, 4],
      untestable: [1, 2, 3],
    });
  });

  it('two elements need no probe', async () => {
    const r = await searchFirstBad(2, async () => {
      throw new Error('not called');
    });
    expect(r).toMatchObject({ kind: 'found', firstBad: 1, lastGood: 0, steps: [] });
  });
});
