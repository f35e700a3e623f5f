/**
 * The analysis as a person reads it (src/analyze/analysis-text.ts): the
 * summary README.md shows for `lwt-regress analyze`, line by line.
 */
import { describe, expect, it } from 'vitest';
import type { AnalysisReport, FrameInfo } from '../src/analyze/analysis-report.js';
import { formatAnalysis } from '../src/analyze/analysis-text.js';

const frame = (
  index: number,
  name: string,
  pc: string,
  symbol: string | null,
  offset: number,
  more = {},
): FrameInfo => ({
  index,
  pc,
  name,
  symbol,
  offset,
  file: null,
  line: null,
  definition: null,
  method: 'exact',
  slot: '0x7ffff77bc150',
  ...more,
});

/** README.md's OCaml 5.3.0 example: a three-function recursion, 1 MiB fiber. */
function tri(): AnalysisReport {
  return {
    schema: 'lwt-regress/analysis',
    schemaVersion: 1,
    verdict: 'stack-overflow-with-cycle',
    trigger: { kind: 'stack-overflow-raise', at: 'caml_raise_exn' },
    ocaml: { version: '5.3.0', fibers: true },
    executable: {
      path: 'tri',
      buildId: null,
      pie: true,
      loadBias: '0x555555554000',
      symbols: 'symtab',
      frameTableModules: 20,
      frameDescriptors: 2000,
    },
    core: { path: 'core', pid: 20523, matchedBy: 'build-id' },
    signal: { number: 5, name: 'SIGTRAP', code: null, faultAddress: null },
    registers: { rip: '0x5555555e07dc', rsp: '0x7ffff77bc148', rbp: '0x0' },
    stack: {
      low: '0x7ffff76bc000',
      high: '0x7ffff78c0000',
      usedBytes: 1_052_344,
      rspPageOffset: 0x148,
      rspAtPageBoundary: false,
      rspBelowMapping: false,
      faultBelowStack: false,
    },
    walk: {
      mode: 'exact',
      totalFrames: 131_103,
      exactFrames: 131_099,
      scannedFrames: 3,
      ended: 'bottom',
      maxFrames: null,
    },
    top: [frame(0, 'caml_raise_exn', '0x5555555e07dc', 'caml_raise_exn', 0, { method: 'register', slot: null })],
    cycle: {
      period: 3,
      repetitions: 43_698,
      partialFrames: 1,
      firstFrame: 1,
      lastFrame: 131_095,
      bytesPerRepetition: 24,
      noiseFrames: 0,
      frames: [
        frame(131_093, 'Tri.pang', '0x555555591e13', 'camlTri.pang_273', 0x13, { file: 'tri.ml', line: 5 }),
        frame(131_094, 'Tri.pong', '0x555555591dc7', 'camlTri.pong_272', 0x47, { file: 'tri.ml', line: 4 }),
        frame(131_095, 'Tri.ping', '0x555555591d5d', 'camlTri.ping_271', 0x2d, { file: 'tri.ml', line: 3 }),
      ],
    },
    entry: [
      frame(131_096, 'Tri.entry', '0x555555591f03', 'camlTri.entry', 0xc3, { file: 'tri.ml', line: 6 }),
      frame(131_097, 'caml_program', '0x55555558fa87', 'caml_program', 0x117),
      frame(131_098, 'caml_start_program', '0x5555555e0790', 'caml_start_program', 0x70),
      frame(131_099, 'caml_startup_common', '0x5555555e013d', 'caml_startup_common', 0x12d, { method: 'context' }),
    ],
    omittedFrames: 0,
    notes: [],
  };
}

describe('the summary of an analysis', () => {
  it("reads as README.md's OCaml 5 example: the raise, the walk, the top, the folded cycle, the entry", () => {
    expect(formatAnalysis(tri()).split('\n')).toEqual([
      'Stack overflow with a recurring call cycle: OCaml 5.3.0 raising Stack_overflow at caml_raise_exn ' +
        '(a fiber stack reached its limit; the core was taken there, SIGTRAP), rsp 0x7ffff77bc148',
      '  executable tri (OCaml 5.3.0, fiber stacks), PIE loaded at bias 0x555555554000; ' +
        'core core (pid 20523, matched by build-id)',
      '  exact walk: 131,103 frames (131,099 exact, 3 scanned), 1,052,344 stack bytes, ended: bottom',
      '',
      '  Top of the stack (1 frame above the cycle):',
      '    #0       caml_raise_exn                           0x5555555e07dc  caml_raise_exn+0x0  [register]',
      '  Recurring cycle of 3 frames × 43,698 repetitions + 1 frame of a partial one ' +
        '(frames #1–#131095, 24 stack bytes each):',
      '      Tri.pang                                 0x555555591e13  camlTri.pang_273+0x13  tri.ml:5',
      '      Tri.pong                                 0x555555591dc7  camlTri.pong_272+0x47  tri.ml:4',
      '      Tri.ping                                 0x555555591d5d  camlTri.ping_271+0x2d  tri.ml:3',
      '  Entered from (4 frames below the cycle):',
      '    #131096  Tri.entry                                0x555555591f03  camlTri.entry+0xc3  tri.ml:6',
      '    #131097  caml_program                             0x55555558fa87  caml_program+0x117',
      '    #131098  caml_start_program                       0x5555555e0790  caml_start_program+0x70',
      '    #131099  caml_startup_common                      0x5555555e013d  caml_startup_common+0x12d  [context]',
    ]);
  });

  it('an OCaml 4 fault names the signal, the fault address and where rsp sits', () => {
    const r = tri();
    r.trigger = { kind: 'guard-fault' };
    r.ocaml = { version: '4.13.1', fibers: false };
    r.signal = { number: 11, name: 'SIGSEGV', code: 1, faultAddress: '0x7ffc15e38ff0' };
    r.stack.rspBelowMapping = true;
    const [first, second] = formatAnalysis(r).split('\n');
    expect(first).toBe(
      'Stack overflow with a recurring call cycle: SIGSEGV at 0x7ffc15e38ff0, ' +
        'rsp 0x7ffff77bc148 (below the stack mapping)',
    );
    expect(second).toBe(
      '  executable tri (OCaml 4.13.1), PIE loaded at bias 0x555555554000; core core (pid 20523, matched by build-id)',
    );
    r.stack.rspBelowMapping = false;
    r.stack.rspAtPageBoundary = true;
    r.signal.faultAddress = null;
    r.executable.pie = false;
    r.core.matchedBy = 'mappings';
    const [atPage, exe] = formatAnalysis(r).split('\n');
    expect(atPage).toBe('Stack overflow with a recurring call cycle: SIGSEGV, rsp 0x7ffff77bc148 (on a page boundary)');
    expect(exe).toBe('  executable tri (OCaml 4.13.1); core core (pid 20523, matched by mappings)');
  });

  it('without a version it says OCaml, or OCaml 5 where fibers show it', () => {
    const r = tri();
    r.ocaml = { version: null, fibers: true };
    expect(formatAnalysis(r).split('\n')[1]).toMatch(/^ {2}executable tri \(OCaml 5, fiber stacks\),/);
    r.ocaml = { version: null, fibers: false };
    expect(formatAnalysis(r).split('\n')[1]).toMatch(/^ {2}executable tri \(OCaml\),/);
  });

  it('without a cycle: the verdict, the first frames numbered, the frames left out counted; notes before them', () => {
    const r = tri();
    r.verdict = 'stack-overflow-without-cycle';
    r.cycle = null;
    r.entry = [];
    r.top = [r.top[0]!, frame(1, '??', '0x1234', null, 0, { method: 'scanned' })];
    r.omittedFrames = 1_234_567;
    r.notes = ['scan mode: frames are stack words', 'second note'];
    r.walk.mode = 'scan';
    const lines = formatAnalysis(r).split('\n');
    expect(lines[0]).toMatch(/^Stack overflow, no recurring call cycle found: OCaml 5\.3\.0 raising/);
    expect(lines[2]).toMatch(/^ {2}scan walk: /);
    expect(lines.slice(3)).toEqual([
      '  note: scan mode: frames are stack words',
      '  note: second note',
      '',
      '  Frames (first 2):',
      '    #0       caml_raise_exn                           0x5555555e07dc  caml_raise_exn+0x0  [register]',
      '    #1       ??                                       0x1234  [scanned]',
      '  (1,234,567 more frames not listed; --json gives the same summary as data)',
    ]);
  });

  it('not an overflow, with no frames: three lines and nothing else', () => {
    const r = tri();
    r.verdict = 'not-stack-overflow';
    r.trigger = null;
    r.signal = { number: 11, name: 'SIGSEGV', code: 1, faultAddress: '0x0' };
    r.cycle = null;
    r.top = [];
    r.entry = [];
    const lines = formatAnalysis(r).split('\n');
    expect(lines[0]).toBe('Not a stack overflow: SIGSEGV at 0x0, rsp 0x7ffff77bc148');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
  });

  it('one frame is a frame, several are frames; noise words and an unmeasured repetition are said or left out', () => {
    const r = tri();
    r.top = [r.top[0]!, r.top[0]!];
    r.cycle!.period = 1;
    r.cycle!.frames = [r.cycle!.frames[0]!];
    r.cycle!.partialFrames = 2;
    r.cycle!.noiseFrames = 1500;
    r.cycle!.bytesPerRepetition = null;
    r.entry = [r.entry[0]!];
    const lines = formatAnalysis(r).split('\n');
    expect(lines).toContain('  Top of the stack (2 frames above the cycle):');
    expect(lines).toContain(
      '  Recurring cycle of 1 frame × 43,698 repetitions + 2 frames of a partial one ' +
        '(frames #1–#131095, 1,500 noise words ignored):',
    );
    expect(lines).toContain('  Entered from (1 frame below the cycle):');
    r.cycle!.partialFrames = 0;
    r.cycle!.noiseFrames = 0;
    r.cycle!.bytesPerRepetition = 1024;
    expect(formatAnalysis(r).split('\n')).toContain(
      '  Recurring cycle of 1 frame × 43,698 repetitions (frames #1–#131095, 1,024 stack bytes each):',
    );
  });

  it('a frame with a file but no offset shows +0x0, and its line', () => {
    const r = tri();
    r.top = [frame(0, 'X.f', '0x10', 'camlX__f_1', null as never, { file: 'x.ml', line: 7 })];
    expect(formatAnalysis(r).split('\n')).toContain(
      '    #0       X.f                                      0x10  camlX__f_1+0x0  x.ml:7',
    );
  });
});
