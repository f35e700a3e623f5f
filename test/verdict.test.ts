import { describe, expect, it } from 'vitest';
import type { AnalysisReport, FrameInfo } from '../src/analyze/analysis-report.js';
import { sameFunction } from '../src/cases/frame-names.js';
import type { Expectation } from '../src/cases/manifest.js';
import { transitionOf } from '../src/gate/gate.js';
import { followsCall } from '../src/ocaml/return-address.js';
import type { Evidence } from '../src/probe/evidence.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { entryBelow, judge, type Observation, observe, overflowed, undecidable } from '../src/probe/verdict.js';
import { probeResult } from './support/probe-result.js';

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
    expect(judge(expectCycle(['A.f', 'Lwt.resolve', 'Lwt.run_waiters']), cycle(['Lwt.resolve']))).toEqual({
      met: false,
      why: 'the cycle lacks A.f, Lwt.run_waiters: observed cycle: Lwt.resolve',
    });
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
    expect(judge(expectClean, cycle(['X.f']))).toEqual({
      met: false,
      why: 'expected a clean run, observed cycle: X.f',
    });
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
  return probeResult({
    lwt: { version: '1.0.0', label: status, origin: 'dir', commit: null },
    status,
    observed,
    reason: status,
  });
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

  it("is empty when every frame below is one of the cycle's functions", () => {
    expect(entryBelow(['Lwt.resolve', 'Lwt.callback'], ['Lwt.callback', 'Lwt.resolve'].map(frame))).toEqual([]);
    expect(entryBelow(['Lwt.resolve'], [])).toEqual([]);
  });
});

describe('what a run is observed as', () => {
  const f = (name: string, more: Partial<FrameInfo> = {}): FrameInfo => ({
    index: 0,
    pc: '0x10',
    name,
    symbol: null,
    offset: null,
    file: null,
    line: null,
    definition: null,
    method: 'exact',
    slot: null,
    ...more,
  });
  const analysis = (over: Partial<AnalysisReport>): AnalysisReport =>
    ({ verdict: 'stack-overflow-with-cycle', top: [], entry: [], cycle: null, ...over }) as AnalysisReport;
  const withCycle = analysis({
    cycle: {
      period: 2,
      repetitions: 12_345,
      frames: [
        f('Lwt.resolve', { symbol: 'camlLwt__resolve_1', offset: 0x2a, file: 'lwt.ml', line: 12, pc: '0x1' }),
        f('Lwt.<fun>', { definition: 'Lwt.bind.(fun)', symbol: 'camlLwt__fun_2', file: 'lwt.ml', pc: '0x2' }),
      ],
    } as AnalysisReport['cycle'],
    entry: ['Lwt.resolve', 'Case.a', 'Case.b', 'Case.c', 'Case.d', 'Case.e', 'Case.f'].map((n) => f(n)),
  });
  const core = { kind: 'core', core: 'core', signal: 'SIGSEGV' } as const;

  it('a core whose analysis found a cycle: its frames, definitions and places, the depth, what entered it', () => {
    expect(observe(core, withCycle)).toEqual({
      outcome: 'cycle',
      summary: 'cycle of 2 × 12,345: Lwt.resolve → Lwt.<fun>',
      frames: ['Lwt.resolve', 'Lwt.<fun>'],
      definitions: ['Lwt.resolve', 'Lwt.bind.(fun)'],
      depth: 12_345,
      // The cycle's own Lwt.resolve below it is skipped, and five frames are kept.
      entry: ['Case.a', 'Case.b', 'Case.c', 'Case.d', 'Case.e'],
      where: {
        cycle: [
          { name: 'Lwt.resolve', symbol: 'camlLwt__resolve_1+0x2a', location: 'lwt.ml:12', pc: '0x1' },
          { name: 'Lwt.<fun>', symbol: 'camlLwt__fun_2+0x0', location: 'lwt.ml', pc: '0x2' },
        ],
        entry: ['Case.a', 'Case.b', 'Case.c', 'Case.d', 'Case.e'].map((name) => ({
          name,
          symbol: null,
          location: null,
          pc: '0x10',
        })),
      },
    });
  });

  it('on OCaml 5, what became of the Stack_overflow raised under gdb', () => {
    const raised = (uncaught: boolean, after: Evidence) => ({
      ...core,
      raised: { at: 'caml_raise_exn', uncaught, after },
    });
    const died = observe(raised(true, { kind: 'failure', exitCode: 2, message: 'x' }), withCycle);
    expect(died).toMatchObject({
      handling: 'uncaught',
      summary: 'cycle of 2 × 12,345: Lwt.resolve → Lwt.<fun> (Stack_overflow uncaught: the program died of it)',
    });
    const hook: Evidence = { kind: 'exception', exception: 'Stack_overflow', backtrace: [], printedBy: 'printexc' };
    expect(observe(raised(false, hook), withCycle)).toMatchObject({
      handling: 'caught-by-lwt',
      summary: expect.stringMatching(
        / \(Stack_overflow caught by Lwt: Lwt\.async_exception_hook reported it and exited\)$/,
      ),
    });
    expect(observe(raised(false, { kind: 'clean', message: 'clean: 7 done' }), withCycle).summary).toMatch(
      / \(Stack_overflow caught by Lwt, then clean: 7 done\)$/,
    );
    const noCycle = analysis({ verdict: 'stack-overflow-without-cycle', top: [f('A.f'), f('B.g')] });
    expect(observe(raised(true, { kind: 'hang', seconds: 1 }), noCycle)).toEqual({
      outcome: 'overflow-without-cycle',
      handling: 'uncaught',
      summary:
        'stack overflow (Stack_overflow raised at caml_raise_exn) without a recurring cycle ' +
        '(Stack_overflow uncaught: the program died of it)',
      frames: ['A.f', 'B.g'],
      definitions: ['A.f', 'B.g'],
      depth: null,
      entry: [],
    });
  });

  it("a cycle found on a stack that did not overflow is a crash, not an overflow's cycle", () => {
    const notOverflow = { ...withCycle, verdict: 'not-stack-overflow', top: [f('A.f')] } as AnalysisReport;
    expect(observe(core, notOverflow)).toMatchObject({
      outcome: 'crash',
      summary: 'SIGSEGV, not a stack overflow: A.f',
      depth: null,
    });
  });

  it('a core of an overflow without a cycle, and of a crash that is no overflow', () => {
    const top = [f('A.f', { definition: 'A.f.inner' }), f('B.g'), f('C.h'), f('D.i')];
    expect(observe(core, analysis({ verdict: 'stack-overflow-without-cycle', top }))).toEqual({
      outcome: 'overflow-without-cycle',
      summary: 'stack overflow (SIGSEGV) without a recurring cycle',
      frames: ['A.f', 'B.g', 'C.h', 'D.i'],
      definitions: ['A.f.inner', 'B.g', 'C.h', 'D.i'],
      depth: null,
      entry: [],
    });
    expect(observe(core, analysis({ verdict: 'not-stack-overflow', top }))).toEqual({
      outcome: 'crash',
      summary: 'SIGSEGV, not a stack overflow: A.f ← B.g ← C.h',
      frames: ['A.f', 'B.g', 'C.h', 'D.i'],
      definitions: ['A.f.inner', 'B.g', 'C.h', 'D.i'],
      depth: null,
      entry: [],
    });
  });

  it('a core that cannot be read, a signal without a core, a program that never started: no evidence', () => {
    const none = { frames: [], definitions: [], depth: null, entry: [] };
    expect(observe(core, undefined, 'cut short by a full disk')).toEqual({
      ...none,
      outcome: 'no-evidence',
      summary: 'SIGSEGV, but its core cannot be read: cut short by a full disk',
    });
    expect(observe(core, undefined).summary).toBe('SIGSEGV, but its core cannot be read: the core was not analysed');
    expect(
      observe({ kind: 'signal-without-core', signal: 'SIGBUS', why: 'core_pattern is a pipe' }, undefined),
    ).toEqual({
      ...none,
      outcome: 'no-evidence',
      summary: 'SIGBUS but no core: core_pattern is a pipe',
    });
    expect(observe({ kind: 'not-started', why: 'ENOENT' }, undefined)).toEqual({
      ...none,
      outcome: 'not-started',
      summary: 'the program could not be started: ENOENT',
    });
  });

  it('hangs, clean and incomplete runs, failures', () => {
    expect(observe({ kind: 'hang', seconds: 60 }, undefined)).toMatchObject({
      outcome: 'hang',
      summary: 'no exit within 60 s',
    });
    expect(observe({ kind: 'clean', message: 'clean: ok' }, undefined)).toMatchObject({
      outcome: 'clean',
      summary: 'clean: ok',
      frames: [],
      depth: null,
    });
    expect(observe({ kind: 'incomplete', message: 'incomplete: 3' }, undefined)).toMatchObject({
      outcome: 'incomplete',
      summary: 'incomplete: 3',
    });
    expect(observe({ kind: 'failure', exitCode: 2, message: 'boom' }, undefined)).toMatchObject({
      outcome: 'failure',
      summary: 'exit 2: boom',
    });
    expect(observe({ kind: 'failure', exitCode: undefined, message: 'boom' }, undefined).summary).toBe('exit ?: boom');
  });

  it('an uncaught Stack_overflow: the cycle of its printed backtrace, a lower bound on its depth', () => {
    const unit = [
      'Called from Lwt.resolve in file "lwt.ml", line 10, characters 2-9',
      'Called from Lwt.wakeup in file "lwt.ml", line 20, characters 2-9',
    ];
    const backtrace = [
      'Raised at Lwt.wakeup in file "lwt.ml", line 30, characters 2-9',
      ...Array.from({ length: 5 }, () => unit).flat(),
      'Called from Case.main in file "case.ml", line 3, characters 2-9',
    ];
    const evidence = { kind: 'exception', exception: 'Stack_overflow', backtrace, printedBy: 'runtime' } as const;
    expect(observe(evidence, undefined)).toEqual({
      outcome: 'overflow-exception',
      handling: 'uncaught',
      summary:
        'uncaught Stack_overflow: cycle of 2 × at least 5 (from the printed backtrace): Lwt.resolve → Lwt.wakeup',
      frames: ['Lwt.resolve', 'Lwt.wakeup'],
      definitions: ['Lwt.resolve', 'Lwt.wakeup'],
      depth: 5,
      depthIsLowerBound: true,
      entry: ['Case.main'],
    });
    const printed = observe({ ...evidence, printedBy: 'printexc' }, undefined);
    expect(printed.handling).toBeUndefined();
    expect(printed.summary).toMatch(
      /^Stack_overflow printed as fatal \(uncaught, or by Lwt\.async_exception_hook\): cycle of 2 × at least 5/,
    );
  });

  it('a printed backtrace whose cycle was entered through more than five frames keeps the five nearest', () => {
    const unit = ['Called from A.f in file "a.ml", line 1', 'Called from A.g in file "a.ml", line 2'];
    const callers = ['B', 'C', 'D', 'E', 'F', 'G', 'H'].map((n) => `Called from Case.${n} in file "case.ml", line 3`);
    const backtrace = [...Array.from({ length: 4 }, () => unit).flat(), ...callers];
    const evidence = { kind: 'exception', exception: 'Stack_overflow', backtrace, printedBy: 'runtime' } as const;
    expect(observe(evidence, undefined)).toMatchObject({
      frames: ['A.f', 'A.g'],
      entry: ['Case.B', 'Case.C', 'Case.D', 'Case.E', 'Case.F'],
    });
  });

  it('an uncaught Stack_overflow without a cycle: its top frames, or no backtrace', () => {
    const backtrace = ['A', 'B', 'C', 'D'].map((n, i) => `Called from M.${n} in file "m.ml", line ${i + 1}`);
    const evidence = { kind: 'exception', exception: 'Stack_overflow', backtrace, printedBy: 'runtime' } as const;
    expect(observe(evidence, undefined)).toEqual({
      outcome: 'overflow-exception',
      handling: 'uncaught',
      summary: 'uncaught Stack_overflow in M.A ← M.B ← M.C',
      frames: ['M.A', 'M.B', 'M.C', 'M.D'],
      definitions: ['M.A', 'M.B', 'M.C', 'M.D'],
      depth: null,
      entry: [],
    });
    expect(observe({ ...evidence, backtrace: [] }, undefined).summary).toBe('uncaught Stack_overflow (no backtrace)');
  });
});

describe('what cannot be judged at all', () => {
  const seen = (outcome: Observation['outcome']): Observation => ({ ...clean, outcome, summary: `it was ${outcome}` });

  it('a program that never started, whatever was expected; a lost core only where a cycle was expected', () => {
    expect(undecidable(expectClean, seen('not-started'))).toBe('it was not-started');
    expect(undecidable(expectCycle([]), seen('not-started'))).toBe('it was not-started');
    expect(undecidable(expectCycle([]), seen('no-evidence'))).toBe('it was no-evidence');
    // A death by signal contradicts a clean expectation, core or no core.
    expect(undecidable(expectClean, seen('no-evidence'))).toBeUndefined();
    expect(undecidable(expectCycle([]), seen('hang'))).toBeUndefined();
    expect(undecidable(expectClean, seen('crash'))).toBeUndefined();
  });

  it('overflowed: a cycle, an overflow without one, or Stack_overflow; nothing else', () => {
    for (const o of ['cycle', 'overflow-without-cycle', 'overflow-exception'] as const)
      expect(overflowed(seen(o))).toBe(true);
    for (const o of ['clean', 'hang', 'incomplete', 'crash', 'failure', 'no-evidence', 'not-started'] as const)
      expect(overflowed(seen(o))).toBe(false);
    expect(overflowed(null)).toBe(false);
  });
});

describe('judging a cycle', () => {
  it('with no frames listed, any cycle or printed overflow will do, and the message says so', () => {
    expect(judge(expectCycle([]), cycle(['X.f']))).toEqual({ met: true });
    expect(judge(expectCycle([]), { ...cycle(['X.f']), outcome: 'overflow-exception' })).toEqual({ met: true });
    expect(judge(expectCycle([]), { ...cycle(['X.f']), outcome: 'overflow-without-cycle', summary: 's' })).toEqual({
      met: false,
      why: 'expected a stack overflow with a cycle through any frames, observed s',
    });
    expect(judge(expectCycle(['A.f', 'B.g']), clean)).toMatchObject({
      why: expect.stringMatching(/through A\.f, B\.g, observed/),
    });
  });

  it('a definition holds a frame when it is that definition or nested in it, not a longer name', () => {
    expect(judge(expectCycle(['Lwt.bind']), cycle(['Lwt.<fun>'], ['Lwt.bind']))).toEqual({ met: true });
    expect(judge(expectCycle(['Lwt.bind']), cycle(['Lwt.<fun>'], ['Lwt.bind_later']))).toMatchObject({ met: false });
    expect(judge(expectCycle(['Lwt.bind']), cycle(['Lwt.<fun>'], ['Lwt.bind_x.(fun)']))).toMatchObject({
      met: false,
      why: 'the cycle lacks Lwt.bind: observed cycle: Lwt.<fun>',
    });
  });

  it('what became of the exception, said in words, and what the expectation wanted', () => {
    const expectUncaught: Expectation = { ...expectCycle([]), ocaml: '>=5.0', exception: 'uncaught' };
    expect(judge(expectUncaught, { ...cycle(['X.f']), handling: 'caught-by-lwt' })).toEqual({
      met: false,
      why: 'expected the Stack_overflow to be uncaught, observed it caught by Lwt: cycle: X.f',
    });
    expect(judge(expectUncaught, { ...cycle(['X.f']), handling: 'uncaught' })).toEqual({ met: true });
  });

  it('only a two-part name matches a nested module path, on its first and last parts', () => {
    expect(sameFunction('Lwt.resolve', 'Lwt.resolve')).toBe(true);
    expect(sameFunction('Lwt.resolve', 'Other.resolve')).toBe(false);
    expect(sameFunction('Lwt.resolve', 'Lwt.Sub.Other.resolve')).toBe(true);
    expect(sameFunction('Lwt.Sub.resolve', 'Lwt.X.Sub.resolve')).toBe(false);
    expect(sameFunction('Lwt.resolve', 'Other.Sub.resolve')).toBe(false);
    expect(sameFunction('resolve', 'Lwt.X.resolve')).toBe(false);
  });
});
