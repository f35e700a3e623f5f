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
/** `u` repeated `times` times, end to end. */
const repeat = (u: number[], times: number) => Array.from({ length: times }, () => u).flat();

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

  it('an end inside a run cuts the region there', () => {
    expect(findCycle(repeat([5], 6), 0, undefined, 4)).toEqual({ start: 0, end: 4, period: 1, repetitions: 4 });
  });

  it('with one repetition asked for, the first frame of the unit must still recur, before the end', () => {
    const once = { minRepetitions: 1, maxPeriod: 512, maxSkip: 64 };
    expect(findCycle([1, 2, 1], 0, once)).toEqual({ start: 0, end: 3, period: 2, repetitions: 1 });
    expect(findCycle([1, 2], 0, once)).toBeUndefined();
    // The second 7 lies past the end: the first has nothing to recur as.
    expect(findCycle([7, 7], 0, once, 1)).toBeUndefined();
  });

  it('a short run at the top does not hide a longer cycle starting on its last frame', () => {
    // 5 5 5 5 then (5 6) four times from the fourth 5: the second region covers more frames.
    const frames = [-1, 5, 5, 5, ...repeat([5, 6], 4), 9];
    expect(findCycle(frames, 1)).toEqual({ start: 4, end: 12, period: 2, repetitions: 4 });
  });

  it('a unit that is no multiple of one already found is checked frame by frame', () => {
    // (1 1 2) six times, then 2 1: a period of 4 matches at the top frame and from the end of the (1 1 2) run
    // on, not at the second frame. Only a multiple of 3 may start its check where that run ends.
    const frames = [-1, ...repeat([1, 1, 2], 6), 2, 1, 9];
    expect(findCycle(frames, 1)).toEqual({ start: 1, end: 19, period: 3, repetitions: 6 });
  });

  it('a region lower down wins only by covering more frames, or as many with a shorter unit', () => {
    // 8 frames of (1 2) below 10 frames of junk, then 12 frames of (3 4 5).
    expect(findCycle([-1, ...junk(10), ...repeat([1, 2], 4), ...repeat([3, 4, 5], 4), 9], 1)).toEqual({
      start: 19,
      end: 31,
      period: 3,
      repetitions: 4,
    });
    // 16 frames each: the shorter unit, found second, wins.
    expect(findCycle([-1, ...repeat([3, 4, 5, 6], 4), ...repeat([1, 2], 8), 9], 1)).toEqual({
      start: 17,
      end: 33,
      period: 2,
      repetitions: 8,
    });
    // 8 frames each with the same unit length: the first stays.
    expect(findCycle([-1, ...repeat([1, 2], 4), ...repeat([3, 4], 4), 9], 1)).toEqual({
      start: 1,
      end: 9,
      period: 2,
      repetitions: 4,
    });
    // A shorter unit covering fewer frames does not displace a longer region.
    expect(findCycle([-1, ...repeat([3, 4, 5, 6], 5), ...repeat([1, 2], 4), 9], 1)).toEqual({
      start: 1,
      end: 21,
      period: 4,
      repetitions: 5,
    });
  });
});

describe('scanning with stale words', () => {
  /** Words `step` bytes apart from slot `at` on. */
  const run = (keys: number[], at: number, step: number): [number, number][] => keys.map((k, i) => [k, at + i * step]);
  /** A 1, 2 cycle (slots from the top) whose equal words lie at most two pairs to a distance: no stride. */
  const TWO_PAIRS_A_DISTANCE: [number, number][] = [
    [1, 0],
    [2, 10],
    [1, 40],
    [2, 60],
    [1, 80],
    [2, 130],
    [1, 200],
    [2, 260],
  ];
  /** Keys and slots of [key, slot] words from the top down, after an unused entry 0 (the searches start at 1). */
  const stack = (words: [number, number][]) => ({
    keys: [-1, ...words.map(([key]) => key)],
    slots: [-1, ...words.map(([, slot]) => slot)],
  });

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

  it('a stack that ends inside the cycle has it down to its last frame', () => {
    const { keys, slots } = stack(run(repeat([1, 2], 4), 0x110, 16));
    expect(findCycleTolerant(keys, slots, 1)).toEqual({
      cycle: { start: 1, end: 9, period: 2, repetitions: 4 },
      noise: new Uint32Array(0),
    });
  });

  it('words above the cycle that recur at the stride are kept, yet neither start the cycle nor count as noise', () => {
    // 7 recurs 32 bytes down, like the frames of the (1 2) cycle; 600 is a stale word inside the cycle.
    const { keys, slots } = stack([
      ...run([7, 8, 7, 1, 2], 0x100, 16),
      [600, 0x148],
      ...run([1, 2, 1, 2, 1, 2, 9], 0x150, 16),
    ]);
    const found = findCycleTolerant(keys, slots, 1)!;
    expect(found.cycle).toEqual({ start: 4, end: 13, period: 2, repetitions: 4 });
    expect([...found.noise]).toEqual([6]);
  });

  it('a stale word with the value of a frame of the cycle is not taken for one', () => {
    // A stale 2 above the cycle: no 2 lies exactly a stride below it.
    const above = stack([[2, 0x108], ...run([...repeat([1, 2], 4), 9], 0x110, 16)]);
    expect(findCycleTolerant(above.keys, above.slots, 1)).toEqual({
      cycle: { start: 2, end: 10, period: 2, repetitions: 4 },
      noise: new Uint32Array(0),
    });
    // A stale 1 inside it: the next 1 lies 40 bytes down, not 32.
    const inside = stack([...run([1, 2], 0x110, 16), [1, 0x128], ...run([1, 2, 1, 2, 1, 2, 9], 0x130, 16)]);
    const found = findCycleTolerant(inside.keys, inside.slots, 1)!;
    expect(found.cycle).toEqual({ start: 1, end: 10, period: 2, repetitions: 4 });
    expect([...found.noise]).toEqual([3]);
  });

  it('three words recurring at one distance make a stride, two do not', () => {
    // Four frames of a self-recursion 16 bytes apart, with a stale word among them: three repeats at 16 bytes.
    const three = stack([...run([5, 5], 0x100, 16), [600, 0x118], ...run([5, 5, 9], 0x120, 16)]);
    const found = findCycleTolerant(three.keys, three.slots, 1)!;
    expect(found.cycle).toEqual({ start: 1, end: 6, period: 1, repetitions: 4 });
    expect([...found.noise]).toEqual([3]);
    // No distance separates more than two pairs of equal words: no stride, so the stack is searched as it is.
    const two = stack([...TWO_PAIRS_A_DISTANCE, [9, 300]]);
    expect(findCycleTolerant(two.keys, two.slots, 1)).toEqual({
      cycle: { start: 1, end: 9, period: 2, repetitions: 4 },
      noise: new Uint32Array(0),
    });
  });

  it('of two distances as many words recur at, the shorter is the stride', () => {
    // A self-recursion 16 bytes a frame above one 40 bytes a frame, four frames each.
    const { keys, slots } = stack([...run([5, 5, 5, 5], 0x100, 16), ...run([6, 6, 6, 6], 0x200, 40), [9, 0x300]]);
    expect(findCycleTolerant(keys, slots, 1)!.cycle).toEqual({ start: 1, end: 5, period: 1, repetitions: 4 });
  });

  it('a distance as many words recur at wins by being shorter, though fewer of its pairs were counted', () => {
    // 5 recurs 21 times 8 bytes apart, but only its first 16 occurrences are paired; a unit of 7 words
    // 20 bytes a frame recurs 21 times 140 bytes apart, each pair counted.
    const { keys, slots } = stack([
      ...run(repeat([5], 22), 0x1000, 8),
      ...run(repeat([11, 12, 13, 14, 15, 16, 17], 4), 0x1000 + 200, 20),
      [9, 0x2000],
    ]);
    expect(findCycleTolerant(keys, slots, 1)!.cycle).toEqual({ start: 1, end: 23, period: 1, repetitions: 22 });
  });

  it('the distance most words recur at is the stride, however many distances are seen first', () => {
    // 33 words and the same in reverse, a byte apart, above the cycle: 33 distances, each once, all shorter
    // than the cycle's 128 bytes; too many words for the search without a stride (64 may precede a cycle).
    const junk = Array.from({ length: 33 }, (_, i) => 1000 + i);
    const { keys, slots } = stack([
      ...run([...junk, ...[...junk].reverse()], 0x100, 1),
      ...run(repeat([1, 2], 6), 0x200, 64),
      [9, 0x800],
    ]);
    expect(findCycleTolerant(keys, slots, 1)).toEqual({
      cycle: { start: 67, end: 79, period: 2, repetitions: 6 },
      noise: new Uint32Array(0),
    });
  });

  it('only the 4096 words nearest the top teach the stride', () => {
    // A cycle at the top with no three pairs of equal words at one distance (at most two), distinct words,
    // then a 3 as the 4096th word from the top and again right below it, 40 bytes on: a third pair, not counted.
    const top = TWO_PAIRS_A_DISTANCE;
    const distinct = Array.from({ length: 4096 - top.length - 1 }, (_, i): [number, number] => [
      1000 + i,
      1000 * (i + 1),
    ]);
    const { keys, slots } = stack([...top, ...distinct, [3, 5_000_000], [3, 5_000_040], [9, 5_000_100]]);
    expect(findCycleTolerant(keys, slots, 1)).toEqual({
      cycle: { start: 1, end: 9, period: 2, repetitions: 4 },
      noise: new Uint32Array(0),
    });
  });

  it('of more distances as many words recur at than are checked, the shortest is the stride', () => {
    // 33 self-recursions of four frames, each with its own frame size, from 132 bytes down to 100 at the bottom.
    const words = Array.from({ length: 33 }, (_, g) => 132 - g).flatMap((size, g) =>
      run(repeat([size], 4), 100_000 * (g + 1), size),
    );
    const { keys, slots } = stack([...words, [9, 4_000_000]]);
    expect(findCycleTolerant(keys, slots, 1)!.cycle).toEqual({ start: 129, end: 133, period: 1, repetitions: 4 });
  });
});
