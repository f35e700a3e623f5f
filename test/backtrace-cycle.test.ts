import { describe, expect, it } from 'vitest';
import { backtraceCycle, backtraceFrames } from '../src/analyze/backtrace-cycle.js';

const line = (verb: string, name: string, file: string, n: number) =>
  `${verb} ${name} in file "${file}", line ${n}, characters 2-10`;

describe('the cycle of a printed backtrace', () => {
  it('reads names and locations, and finds the repeating unit with a lower bound on its depth', () => {
    const unit = [
      line('Called from', 'Tri.h', 'tri.ml', 3),
      line('Called from', 'Tri.g', 'tri.ml', 2),
      line('Called from', 'Tri.f', 'tri.ml', 1),
    ];
    const printed = [
      line('Raised by primitive operation at', 'Tri.f', 'tri.ml', 1),
      ...Array.from({ length: 300 }, () => unit).flat(),
      line('Called from', 'Tri.entry', 'tri.ml', 6),
    ];
    const frames = backtraceFrames(printed);
    expect(frames[1]).toEqual({ name: 'Tri.h', location: 'tri.ml:3' });
    const cycle = backtraceCycle(frames)!;
    expect(cycle.frames).toHaveLength(3);
    expect(new Set(cycle.frames)).toEqual(new Set(['Tri.f', 'Tri.g', 'Tri.h']));
    expect(cycle.repetitions).toBeGreaterThanOrEqual(299);
    expect(cycle.entry).toEqual(['Tri.entry']);
  });

  it('the same function called from two places is two frames', () => {
    const printed = Array.from({ length: 50 }, (_, i) => line('Called from', 'M.f', 'm.ml', i % 2 === 0 ? 1 : 2));
    expect(backtraceCycle(backtraceFrames(printed))!.frames).toEqual(['M.f', 'M.f']);
  });

  it('a backtrace without a repeating unit has no cycle', () => {
    const printed = ['A', 'B', 'C', 'D'].map((n, i) => line('Called from', `M.${n}`, 'm.ml', i));
    expect(backtraceCycle(backtraceFrames(printed))).toBeUndefined();
    expect(backtraceFrames(['Fatal error: exception Stack_overflow', 'not a frame'])).toEqual([]);
  });
});

describe('a backtrace cut off inside the cycle', () => {
  it('has no entry frames: its depth is a lower bound', () => {
    const unit = [line('Called from', 'Tri.h', 'tri.ml', 3), line('Called from', 'Tri.g', 'tri.ml', 2)];
    const printed = Array.from({ length: 512 }, () => unit).flat();
    expect(backtraceCycle(backtraceFrames(printed))).toMatchObject({ repetitions: 512, entry: [] });
  });
});

describe('the lines of a printed backtrace', () => {
  it('every form the runtime prints, names or not, with the line or without', () => {
    expect(
      backtraceFrames([
        'Raised at Lwt.wakeup_general in file "src/core/lwt.ml", line 1372, characters 4-40',
        '  Re-raised at Lwt.bind in file "src/core/lwt.ml", line 1800, characters 2-8',
        'Raised by primitive operation at Case.f in file "case.ml", line 3, characters 10-20',
        'Called from file "case.ml", line 9, characters 2-5',
        'Called from Stdlib.List.iter in file "list.ml"',
        'Called from Weird name in file "x.ml", line 1',
        'Fatal error: exception Stack_overflow',
        'Called from',
      ]),
    ).toEqual([
      { name: 'Lwt.wakeup_general', location: 'src/core/lwt.ml:1372' },
      { name: 'Lwt.bind', location: 'src/core/lwt.ml:1800' },
      { name: 'Case.f', location: 'case.ml:3' },
      // Before OCaml 4.12 no name is printed: the location stands for it.
      { name: 'case.ml:9', location: 'case.ml:9' },
      { name: 'Stdlib.List.iter', location: 'list.ml:?' },
    ]);
  });

  it('the cycle is the bottommost repetition, top first, as a core shows it', () => {
    const printed = [
      line('Called from', 'M.c', 'm.ml', 3),
      ...Array.from({ length: 5 }, () => [
        line('Called from', 'M.a', 'm.ml', 1),
        line('Called from', 'M.b', 'm.ml', 2),
        line('Called from', 'M.c', 'm.ml', 3),
      ]).flat(),
      line('Called from', 'M.main', 'm.ml', 9),
      line('Called from', 'M.entry', 'm.ml', 10),
    ];
    expect(backtraceCycle(backtraceFrames(printed))).toEqual({
      frames: ['M.a', 'M.b', 'M.c'],
      repetitions: 5,
      entry: ['M.main', 'M.entry'],
    });
  });
});
