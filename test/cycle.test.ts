import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findCycle, findCycleTolerant } from '../src/analyze/cycle.js';

/** The shortest unit whose repetition gives `unit` (abab -> ab). */
function primitiveLength(unit: number[]): number {
  for (let p = 1; p <= unit.length; p++) {
    if (unit.length % p === 0 && unit.every((k, i) => k === unit[i % p])) return p;
  }
  return unit.length;
}

// Keys from disjoint ranges, so that junk and head cannot continue the cycle by accident.
const unitArb = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 12 });
const junkArb = fc.array(fc.integer({ min: 100, max: 199 }), { maxLength: 3 });
const headArb = fc.array(fc.integer({ min: 200, max: 299 }), { maxLength: 10 });

describe('findCycle', () => {
  it('recovers the shortest unit, its start and its end from junk + partial + unit^n + head', () => {
    fc.assert(
      fc.property(
        unitArb,
        fc.integer({ min: 4, max: 300 }),
        fc.nat(),
        junkArb,
        headArb,
        (unit, reps, cut, junk, head) => {
          const partial = unit.slice(cut % unit.length);
          const frames = [-1, ...junk, ...partial, ...Array.from({ length: reps }, () => unit).flat(), ...head];
          const found = findCycle(frames, 1);
          const p = primitiveLength(unit);
          expect(found).toBeDefined();
          expect(found!.period).toBe(p);
          expect(found!.start).toBe(1 + junk.length);
          expect(found!.end).toBe(1 + junk.length + partial.length + reps * unit.length);
          expect(found!.repetitions).toBe(Math.floor((partial.length + reps * unit.length) / p));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('finds no cycle where nothing repeats', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer(), { maxLength: 200 }), (keys) => {
        expect(findCycle([-1, ...keys], 1)).toBeUndefined();
      }),
    );
  });

  it('finds no cycle in fewer than four repetitions', () => {
    expect(findCycle([-1, 1, 2, 3, 1, 2, 3, 1, 2, 3, 9], 1)).toBeUndefined();
    expect(findCycle([-1, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 9], 1)).toMatchObject({
      period: 3,
      repetitions: 4,
      end: 13,
    });
  });

  it('prefers the cycle covering the most frames over a short one at the top', () => {
    const frames = [-1, 7, 7, 7, 7, 7, ...Array.from({ length: 50 }, () => [1, 2]).flat(), 300];
    expect(findCycle(frames, 1)).toMatchObject({ period: 2, start: 6, end: 106 });
  });

  it('with an end, sees only the keys before it', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 300 }), fc.nat(), (keys, cut) => {
        const frames = [-1, ...keys];
        const to = cut % (frames.length + 1);
        expect(findCycle(frames, 1, undefined, to)).toEqual(findCycle(frames.slice(0, to), 1));
      }),
    );
  });

  it('handles a million-frame self-recursion', () => {
    const frames = new Float64Array(1_000_002).fill(5);
    frames[0] = -1;
    frames[1_000_001] = 9;
    expect(findCycle(frames, 1)).toMatchObject({ period: 1, repetitions: 1_000_000 });
  });
});

describe('findCycleTolerant', () => {
  it('sees through stale words scattered in the stack', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 6, max: 200 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (unit, reps, noiseAt) => {
          // Each frame is 16 bytes; a noise word sits in the middle of some of them, with a unique value.
          const frames: { key: number; slot: number }[] = [];
          let slot = 0x7000;
          const noisy = new Set(noiseAt.map((n) => n % (reps * unit.length)));
          let n = 0;
          for (let r = 0; r < reps; r++) {
            for (const key of unit) {
              if (noisy.has(n)) frames.push({ key: 1_000_000 + n, slot: slot + 8 });
              frames.push({ key, slot: slot + 16 });
              slot += 16;
              n++;
            }
          }
          frames.push({ key: 999, slot: slot + 16 });
          const keys = [-1, ...frames.map((f) => f.key)];
          const slots = [-1, ...frames.map((f) => f.slot)];
          const found = findCycleTolerant(keys, slots, 1);
          expect(found).toBeDefined();
          expect(found!.cycle.period).toBe(primitiveLength(unit));
          expect(keys[found!.cycle.end]).toBe(999);
          // Only the stale words inside the region are noise.
          for (const i of found!.noise) expect(keys[i]).toBeGreaterThanOrEqual(1_000_000);
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('the limits of the search', () => {
  const junk = (n: number) => Array.from({ length: n }, (_, i) => 1000 + i);
  const unit = (n: number) => Array.from({ length: n }, (_, i) => 5000 + i);
  const repeat = (u: number[], times: number) => Array.from({ length: times }, () => u).flat();

  it('at most 64 frames may precede the cycle at the top', () => {
    expect(findCycle([-1, ...junk(64), ...repeat([1, 2], 10), 9], 1)).toMatchObject({ start: 65, period: 2 });
    expect(findCycle([-1, ...junk(65), ...repeat([1, 2], 10), 9], 1)).toBeUndefined();
    expect(
      findCycle([-1, ...junk(3), ...repeat([1, 2], 10), 9], 1, { minRepetitions: 4, maxPeriod: 512, maxSkip: 2 }),
    ).toBeUndefined();
  });

  it('a unit of up to 512 frames is a cycle, a longer one is not', () => {
    expect(findCycle([-1, ...repeat(unit(512), 4), 9], 1)).toMatchObject({ period: 512, repetitions: 4 });
    expect(findCycle([-1, ...repeat(unit(513), 4), 9], 1)).toBeUndefined();
    expect(
      findCycle([-1, ...repeat(unit(3), 5), 9], 1, { minRepetitions: 5, maxPeriod: 2, maxSkip: 64 }),
    ).toBeUndefined();
  });

  it('of two regions covering as many frames, the shorter unit wins; a longer region wins over a shorter unit', () => {
    // 8 × (1 2) then 4 × (3 4 5 6): 16 frames each.
    const tie = [-1, ...repeat([1, 2], 8), ...repeat([3, 4, 5, 6], 4), 9];
    expect(findCycle(tie, 1)).toMatchObject({ start: 1, period: 2, end: 17, repetitions: 8 });
    const longer = [-1, ...repeat([1, 2], 8), ...repeat([3, 4, 5, 6], 5), 9];
    expect(findCycle(longer, 1)).toMatchObject({ start: 17, period: 4, end: 37, repetitions: 5 });
  });

  it('a unit that repeats inside a longer one (a b b a) is found whole, starting where it starts', () => {
    expect(findCycle([-1, ...repeat([1, 2, 2, 1], 6), 9], 1)).toMatchObject({
      start: 1,
      period: 4,
      end: 25,
      repetitions: 6,
    });
  });

  it('nothing before `from` counts, and no keys is no cycle', () => {
    expect(findCycle(repeat([1], 10), 8)).toBeUndefined();
    expect(findCycle(repeat([1], 10), 6)).toMatchObject({ start: 6, end: 10, repetitions: 4 });
    expect(findCycle([], 0)).toBeUndefined();
  });
});

describe('scanning with stale words', () => {
  it('without words recurring at one distance, it is the exact search, with no noise', () => {
    const keys = [-1, 1, 2, 1, 2, 1, 2, 1, 2, 9];
    // Slots that never put one word a fixed distance from its twin.
    const slots = [-1, 8, 24, 48, 80, 120, 168, 224, 288, 360];
    expect(findCycleTolerant(keys, slots, 1)).toEqual({
      cycle: { start: 1, end: 9, period: 2, repetitions: 4 },
      noise: new Uint32Array(0),
    });
  });

  it('with every word recurring at the stride, the kept words are the stack: no noise', () => {
    const keys = [-1, 7, 1, 2, 1, 2, 1, 2, 1, 2, 9];
    const slots = [-1, 0x100, 0x110, 0x120, 0x130, 0x140, 0x150, 0x160, 0x170, 0x180, 0x190];
    const found = findCycleTolerant(keys, slots, 1)!;
    expect(found.cycle).toEqual({ start: 2, end: 10, period: 2, repetitions: 4 });
    expect([...found.noise]).toEqual([]);
  });

  it('stale words inside the region are noise, named by index; those outside it are not', () => {
    // Frames 16 bytes apart; a stale word between two of them, and one above the region.
    const keys = [-1, 500, 1, 2, 1, 600, 2, 1, 2, 1, 2, 9];
    const slots = [-1, 0x108, 0x110, 0x120, 0x130, 0x138, 0x140, 0x150, 0x160, 0x170, 0x180, 0x190];
    const found = findCycleTolerant(keys, slots, 1)!;
    expect(found.cycle).toMatchObject({ start: 2, end: 11, period: 2, repetitions: 4 });
    expect([...found.noise]).toEqual([5]);
  });
});
