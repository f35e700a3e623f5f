import { describe, expect, it } from 'vitest';
import type { FrameInfo } from '../src/analyze/analysis-report.js';
import { sameFunction } from '../src/cases/frame-names.js';
import type { Expectation } from '../src/cases/manifest.js';
import { transitionOf } from '../src/gate/gate.js';
import { followsCall } from '../src/ocaml/return-address.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { entryBelow, judge, type Observation } from '../src/probe/verdict.js';

const cycle = (frames: string[], definitions = frames): Observation => ({
  outcome: 'cycle',
  summary: `cycle: ${frames.join(' → ')}`,
  frames,
  definitions,
  depth: 100,
  entry: [],
});
const clean: Observation = {
  outcome: 'clean',
  summary: 'clean: done',
  frames: [],
  definitions: [],
  depth: null,
  entry: [],
};
const expectCycle = (frames: string[]): Expectation => ({ lwt: '*', outcome: 'cycle', frames, why: '' });
const expectClean: Expectation = { lwt: '*', outcome: 'clean', frames: [], why: '' };

describe('judge', () => {
  it('a cycle must hold every expected frame, by name, nested module or recorded definition', () => {
    expect(judge(expectCycle(['Lwt.resolve']), cycle(['Lwt.resolve', 'Lwt.callback']))).toEqual({ met: true });
    expect(judge(expectCycle(['Lwt.resolve']), cycle(['Lwt.Resolution_loop.resolve']))).toEqual({ met: true });
    expect(judge(expectCycle(['Lwt.bind']), cycle(['Lwt.<fun>'], ['Lwt.bind.(fun)']))).toEqual({ met: true });
    expect(judge(expectCycle(['Lwt.resolve', 'Lwt.run_waiters']), cycle(['Lwt.resolve']))).toMatchObject({
      met: false,
      why: expect.stringMatching(/lacks Lwt\.run_waiters/),
    });
    expect(judge(expectCycle(['Lwt.resolve']), clean)).toMatchObject({
      met: false,
      why: expect.stringMatching(/expected a stack overflow with a cycle through Lwt\.resolve, observed clean: done/),
    });
  });

  it('clean means a clean run, nothing else', () => {
    expect(judge(expectClean, clean)).toEqual({ met: true });
    expect(judge(expectClean, cycle(['X.f']))).toMatchObject({ met: false });
    expect(judge(expectClean, { ...clean, outcome: 'hang', summary: 'no exit' })).toMatchObject({ met: false });
  });

  it('on OCaml 5, what became of the Stack_overflow must be what the expectation says', () => {
    const expectCaught: Expectation = { ...expectCycle(['Lwt.resolve']), ocaml: '>=5.0', exception: 'caught-by-lwt' };
    const caught = { ...cycle(['Lwt.resolve']), handling: 'caught-by-lwt' as const };
    expect(judge(expectCaught, caught)).toEqual({ met: true });
    expect(judge(expectCaught, { ...caught, handling: 'uncaught' })).toMatchObject({
      met: false,
      why: expect.stringMatching(/expected the Stack_overflow to be caught by Lwt, observed it uncaught/),
    });
    expect(judge(expectCaught, cycle(['Lwt.resolve']))).toMatchObject({
      met: false,
      why: expect.stringMatching(/observed nothing of what became of it/),
    });
    // Without an "exception" field the handling is not judged.
    expect(judge(expectCycle(['Lwt.resolve']), { ...caught, handling: 'uncaught' })).toEqual({ met: true });
  });

  it('sameFunction does not confuse modules or prefixes', () => {
    expect(sameFunction('Lwt.resolve', 'Lwt_seq.resolve')).toBe(false);
    expect(sameFunction('Lwt.resolve', 'Lwt.X.resolve_later')).toBe(false);
    expect(sameFunction('Lwt.resolve', 'Lwt.X.resolve')).toBe(true);
  });
});

function result(status: ProbeResult['status'], observed: Observation | null): ProbeResult {
  return {
    lwt: { version: '1.0.0', label: status, origin: 'dir', commit: null },
    ocaml: '4.13.1',
    case: 'c',
    status,
    expected: null,
    observed,
    reason: status,
    timings: { buildMs: 0, runMs: 0, analyzeMs: 0, totalMs: 0 },
    cached: null,
    capture: null,
    artifacts: null,
    notes: [],
    reproduce: 'lwt-regress run',
    known: null,
  };
}

describe('gate transitions', () => {
  it.each([
    ['clean → crash', result('pass', clean), result('fail', cycle(['X.f'])), 'regressed', true],
    [
      'clean → crash that the candidate expects',
      result('pass', clean),
      result('pass', cycle(['X.f'])),
      'regressed',
      true,
    ],
    [
      'expectation broken, no crash',
      result('pass', clean),
      result('fail', { ...clean, outcome: 'hang', summary: 'hang' }),
      'expectation-broken',
      true,
    ],
    ['crash → clean', result('pass', cycle(['X.f'])), result('pass', clean), 'fixed', false],
    ['unchanged crash', result('pass', cycle(['X.f'])), result('pass', cycle(['X.f'])), 'unchanged', false],
    ['candidate untestable', result('pass', clean), result('untestable', null), 'untestable', false],
    ['baseline untestable', result('untestable', null), result('pass', clean), 'untestable', false],
    ['candidate lacks the API', result('pass', clean), result('not-applicable', null), 'not-applicable', false],
  ])('the transition of %s', (_name, before, after, transition, blocking) => {
    expect(transitionOf(before, after)).toMatchObject({ transition, blocking });
  });
});

describe('followsCall', () => {
  const tail = (...bytes: number[]) => Uint8Array.from([0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, ...bytes].slice(-7));
  it.each([
    ['call rel32', tail(0xe8, 1, 2, 3, 4)],
    ['call *%rax', tail(0xff, 0xd0)],
    ['call *(%rax)', tail(0xff, 0x10)],
    ['call *8(%rbx)', tail(0xff, 0x53, 0x08)],
    ['call *0x100(%rbx)', tail(0xff, 0x93, 0, 1, 0, 0)],
    ['call *rel(%rip)', tail(0xff, 0x15, 0, 1, 0, 0)],
    ['call *8(%rsp)', tail(0xff, 0x54, 0x24, 0x08)],
  ])('recognises %s', (_name, code) => {
    expect(followsCall(code)).toBe(true);
  });

  it.each([
    ['a jmp *%rax', tail(0xff, 0xe0)],
    ['plain data', tail(0x41, 0x42, 0x43, 0x44)],
    ['push', tail(0x50)],
  ])('rejects %s', (_name, code) => {
    expect(followsCall(code)).toBe(false);
  });
});

describe('what entered a cycle', () => {
  const frame = (name: string) => ({ name }) as FrameInfo;
  it("skips the leading frames of the cycle's own functions, called from elsewhere", () => {
    const cycleNames = ['Lwt.callback', 'Lwt.iter_callback_list', 'Lwt.run_in_resolution_loop', 'Lwt.resolve'];
    const below = ['Lwt.resolve', 'Lwt.callback', 'Lwt.iter_callback_list', 'Lwt.wakeup_general', 'Case.entry'];
    expect(entryBelow(cycleNames, below.map(frame)).map((f) => f.name)).toEqual(['Lwt.wakeup_general', 'Case.entry']);
    expect(entryBelow(cycleNames, ['Case.entry', 'Lwt.resolve'].map(frame)).map((f) => f.name)).toEqual([
      'Case.entry',
      'Lwt.resolve',
    ]);
  });
});
