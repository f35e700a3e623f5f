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

  it('lists the untestable elements it met in ascending order, whatever order it met them in', async () => {
    // 0..19, bad from 12: the first midpoint (9) is untestable, then its neighbour above (10), then 8 below.
    const answer = oracle({ n: 20, firstBad: 12, holes: [8, 9, 10] });
    const met: number[] = [];
    const r = await searchFirstBad(20, async (i) => {
      if (answer(i) === 'untestable') met.push(i);
      return answer(i);
    });
    expect(met).not.toEqual([...met].sort((a, b) => a - b));
    expect(r).toMatchObject({ kind: 'found', firstBad: 12 });
    expect(r.untestable).toEqual([...met].sort((a, b) => a - b));
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

describe('the order of the probes', () => {
  it('the middle first; past an untestable one, the nearest others, the lower one first', async () => {
    const r = await searchFirstBad(10, async () => 'untestable');
    expect(r.steps.map((s) => s.index)).toEqual([4, 5, 3, 6, 2, 7, 1, 8]);
    expect(r).toMatchObject({ kind: 'ambiguous', lastGood: 0, firstBad: 9, untestable: [1, 2, 3, 4, 5, 6, 7, 8] });
  });

  it('halves the range at each answer, and records each step with its answer', async () => {
    const firstBad = 6;
    const r = await searchFirstBad(16, async (i) => (i >= firstBad ? 'bad' : 'good'));
    expect(r.steps).toEqual([
      { index: 7, answer: 'bad' },
      { index: 3, answer: 'good' },
      { index: 5, answer: 'good' },
      { index: 6, answer: 'bad' },
    ]);
    expect(r).toMatchObject({ kind: 'found', firstBad: 6, lastGood: 5, untestable: [] });
  });

  it('names the untestable ones it stepped around, in order, even when it found the answer', async () => {
    const r = await searchFirstBad(16, async (i) => (i === 7 || i === 8 ? 'untestable' : i >= 10 ? 'bad' : 'good'));
    expect(r).toMatchObject({ kind: 'found', firstBad: 10, lastGood: 9, untestable: [7, 8] });
    const ambiguous = await searchFirstBad(8, async (i) =>
      i === 5 || i === 4 ? 'untestable' : i >= 5 ? 'bad' : 'good',
    );
    expect(ambiguous).toMatchObject({
      kind: 'ambiguous',
      lastGood: 3,
      firstBad: 6,
      candidates: [4, 5, 6],
      untestable: [4, 5],
    });
  });

  it('needs a good and a bad end', async () => {
    await expect(searchFirstBad(1, async () => 'good')).rejects.toThrow(RangeError);
    await expect(searchFirstBad(0, async () => 'good')).rejects.toThrow(
      'bisecting needs at least a good and a bad element',
    );
  });
});
