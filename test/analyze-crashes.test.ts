import { describe, expect, inject, it } from 'vitest';
import { analyzeCore } from '../src/analyze/analyze-core.js';
import { FileReader } from '../src/io/file-reader.js';
import { gdbBacktrace } from './support/gdb.js';

const crashes = inject('crashes');

function analyze(name: string, mode: 'exact' | 'scan' = 'exact') {
  const { executable, core } = crashes[name]!;
  const exe = FileReader.open(executable, 'executable');
  const c = FileReader.open(core, 'core');
  try {
    return analyzeCore(exe, c, { mode });
  } finally {
    exe.close();
    c.close();
  }
}

const cycleNames = (name: string, mode: 'exact' | 'scan' = 'exact') =>
  analyze(name, mode).report.cycle?.frames.map((f) => f.name);

describe('analyzer on real crashes', () => {
  it('folds plain self-recursion into a one-frame cycle', () => {
    const { report } = analyze('self-recursion');
    expect(report.verdict).toBe('stack-overflow-with-cycle');
    expect(report.cycle!.period).toBe(1);
    expect(report.cycle!.frames[0]!.name).toBe('Self_recursion.count');
    expect(report.cycle!.frames[0]!.file).toBe('self_recursion.ml');
    expect(report.cycle!.repetitions).toBeGreaterThan(10_000);
    expect(report.entry[0]!.name).toBe('Self_recursion.entry');
    expect(report.stack.faultBelowStack).toBe(true);
    // Every repetition is one frame: the region covers all frames between the top and the entry.
    expect(report.cycle!.firstFrame + report.cycle!.repetitions + report.cycle!.partialFrames).toBe(
      report.cycle!.lastFrame + 1,
    );
  });

  it('finds the three-function cycle of mutual recursion through a closure', () => {
    const { report } = analyze('mutual-recursion');
    expect(report.verdict).toBe('stack-overflow-with-cycle');
    expect(report.cycle!.period).toBe(3);
    expect(new Set(report.cycle!.frames.map((f) => f.name))).toEqual(
      new Set(['Mutual_recursion.ping', 'Mutual_recursion.pong', 'Mutual_recursion.pang']),
    );
    expect(report.cycle!.bytesPerRepetition).toBeGreaterThan(0);
  });

  it("shows Lwt's own resolution functions in the wakeup chain's cycle", () => {
    const { report } = analyze('wakeup-chain');
    expect(report.verdict).toBe('stack-overflow-with-cycle');
    const names = report.cycle!.frames.map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'Lwt.resolve',
        'Lwt.run_in_resolution_loop',
        'Lwt.iter_callback_list',
        'Lwt.wakeup_general',
      ]),
    );
    expect(report.cycle!.frames.every((f) => f.file === 'src/core/lwt.ml' && f.line !== null)).toBe(true);
    expect(report.entry[0]!.symbol).toMatch(/^camlCase__entry/);
    expect(report.walk.mode).toBe('exact');
  });

  it('judges a null-pointer write in C as not a stack overflow', () => {
    const { report } = analyze('null-write');
    expect(report.verdict).toBe('not-stack-overflow');
    expect(report.signal.name).toBe('SIGSEGV');
    expect(report.signal.faultAddress).toBe('0x0');
    expect(report.top.map((f) => f.name)).toEqual(
      expect.arrayContaining(['lwtr_test_null_write', 'Null_write_crash.crash', 'Null_write_crash.entry']),
    );
  });

  it('scan mode finds the same Lwt cycle without the frame tables', () => {
    const exact = cycleNames('wakeup-chain');
    const { report } = analyze('wakeup-chain', 'scan');
    expect(report.walk.mode).toBe('scan');
    expect(report.verdict).toBe('stack-overflow-with-cycle');
    expect(new Set(report.cycle!.frames.map((f) => f.name))).toEqual(new Set(exact));
  });

  describe.each(['self-recursion', 'mutual-recursion', 'wakeup-chain', 'null-write'])('%s agrees with gdb', (name) => {
    it('on the first 50 frames', async () => {
      const { executable, core } = crashes[name]!;
      const gdb = await gdbBacktrace(executable, core, 50);
      const { frames, describeFrame } = analyze(name);
      expect(gdb.length).toBeGreaterThan(name === 'null-write' ? 5 : 49);
      for (const g of gdb) {
        const ours = describeFrame(g.index);
        expect({ index: g.index, symbol: ours.symbol }).toEqual({ index: g.index, symbol: g.symbol });
        if (g.pc !== null) expect(frames.pcs[g.index]).toBe(g.pc);
      }
    });
  });
});
