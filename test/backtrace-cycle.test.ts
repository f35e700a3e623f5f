import { describe, expect, it } from 'vitest';
import { backtraceCycle } from '../src/analyze/backtrace-cycle.js';

const at = (fn: string, line: number) => `${fn} in file "tri.ml", line ${line}, characters 1-9`;

describe('the cycle of a printed backtrace', () => {
  const unit = [at('Tri.pang', 5), at('Tri.pong', 4), at('Tri.ping', 3)];
  const lines = (repeats: number, below: string[] = []) => [
    `Raised by primitive operation at ${at('Tri.ping', 3)}`,
    ...Array.from({ length: repeats }, () => unit.map((u) => `Called from ${u}`)).flat(),
    ...below.map((b) => `Called from ${b}`),
  ];

  it('folds the frames into the repeating unit; a backtrace that ends inside it gives a lower bound', () => {
    expect(backtraceCycle(lines(341))).toEqual({
      frames: ['Tri.pang', 'Tri.pong', 'Tri.ping'],
      repetitions: 341,
      truncated: true,
    });
  });

  it('a backtrace that reaches below the cycle gives its exact depth', () => {
    expect(backtraceCycle(lines(10, [at('Tri.entry', 6)]))).toMatchObject({ repetitions: 10, truncated: false });
  });

  it('the same function at another line is another frame; too few repetitions are no cycle', () => {
    expect(backtraceCycle(lines(2, [at('Tri.entry', 6)]))).toBeUndefined();
    const varying = Array.from({ length: 12 }, (_, i) => `Called from ${at('Tri.f', i)}`);
    expect(backtraceCycle(varying)).toBeUndefined();
  });
});
