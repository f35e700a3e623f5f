/**
 * The analyzer on cores of the compilers users run, built from npm's ocaml
 * source package (test/support/compilers.ts): OCaml 4.10, 4.12 and 4.14 leave
 * SIGSEGV cores of the system stack; OCaml 5.3 a core taken at its
 * Stack_overflow raise, with the frames on a fiber. gdb is the oracle for
 * every frame's symbol, address and source line, and for the frame count.
 */
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Analysis, analyzeCore } from '../src/analyze/analyze-core.js';
import { FileReader } from '../src/io/file-reader.js';
import { runOcaml5UnderGdb, runtimeParameters } from '../src/run/ocaml5-capture.js';
import { runUnderLimits } from '../src/run/run-under-limits.js';
import { buildProgram } from '../src/toolchain/build.js';
import { findToolchain } from '../src/toolchain/ocamlfind.js';
import { TEST_COMPILERS } from './support/compilers.js';
import { STUB } from './support/fixtures.js';
import { gdbBacktrace } from './support/gdb.js';

const compilers = inject('compilers');
const TRI = join(import.meta.dirname, 'fixtures', 'mutual_recursion.ml');
let tmp: Awaited<ReturnType<typeof dir>>;
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-compilers-' });
});
afterAll(() => tmp.cleanup());

describe.each(TEST_COMPILERS)('OCaml %s', (version) => {
  const prefix = compilers[version];
  const fibers = version.startsWith('5.');
  let executable: string;
  let core: string;
  let analysis: Analysis;

  beforeAll(async () => {
    if (!prefix) return;
    const toolchain = await findToolchain({ ocaml: prefix });
    const workDir = join(tmp.path, version);
    const built = await buildProgram({ toolchain, sources: [STUB, TRI], packages: [], workDir, output: 'tri' });
    if (!built.ok) throw new Error(`building with OCaml ${version} failed: ${built.log}`);
    executable = built.executable;
    const request = { executable, cwd: workDir, stackKiB: 1024, timeoutMs: 120_000 };
    const run = fibers
      ? await runOcaml5UnderGdb({
          ...request,
          args: ['1000000'],
          capture: 'gdb',
          env: { OCAMLRUNPARAM: runtimeParameters(true, 1024) },
        })
      : await runUnderLimits({ ...request, args: ['10000000'], capture: 'auto' });
    if (!run.core) throw new Error(`OCaml ${version}: no core (${JSON.stringify(run)})`);
    core = run.core;
    const exe = FileReader.open(executable, 'executable');
    const c = FileReader.open(core, 'core');
    try {
      analysis = analyzeCore(exe, c);
    } finally {
      exe.close();
      c.close();
    }
  }, 300_000);

  it.skipIf(!prefix)('finds the three-function cycle, named and placed in the source', () => {
    const { report } = analysis;
    expect(report.verdict).toBe('stack-overflow-with-cycle');
    // The era compiler (4.13.1+unsafe-string) is OCaml 4.13.1.
    expect(report.ocaml).toEqual({ version: version.replace(/\+.*$/, ''), fibers });
    expect(report.cycle!.period).toBe(3);
    expect(new Set(report.cycle!.frames.map((f) => f.name))).toEqual(
      new Set(['Mutual_recursion.ping', 'Mutual_recursion.pong', 'Mutual_recursion.pang']),
    );
    expect(report.cycle!.frames.every((f) => f.file === 'mutual_recursion.ml')).toBe(true);
    expect(report.entry[0]!.name).toBe('Mutual_recursion.entry');
  });

  it.skipIf(!prefix)('agrees with gdb on the first 50 frames: symbol, address and line', async () => {
    const gdb = await gdbBacktrace(executable, core, 50);
    expect(gdb.length).toBeGreaterThan(49);
    for (const g of gdb) {
      const ours = analysis.describeFrame(g.index);
      expect({ index: g.index, symbol: ours.symbol }).toEqual({ index: g.index, symbol: g.symbol });
      if (g.pc !== null) expect(analysis.frames.pcs[g.index]).toBe(g.pc);
      // OCaml's debug info covers return addresses; frame 0 is the faulting instruction itself.
      if (g.index > 0 && g.file?.endsWith('.ml'))
        expect({ index: g.index, file: ours.file, line: ours.line }).toEqual({
          index: g.index,
          file: g.file,
          line: g.line,
        });
    }
  });

  it.skipIf(!prefix)('agrees with gdb on the frame count: caml_program is the same frame in both', async () => {
    const outermost = await gdbBacktrace(executable, core, -12);
    const gdbIndex = outermost.find((g) => g.symbol === 'caml_program')!.index;
    const ours = Array.from({ length: analysis.frames.pcs.length }, (_, i) => i).find(
      (i) => analysis.describeFrame(i).symbol === 'caml_program',
    );
    expect(ours).toBe(gdbIndex);
    expect(gdbIndex).toBeGreaterThan(10_000);
  });

  // OCaml 5 only: 4.x cores come from SIGSEGV on the system stack.
  if (fibers)
    it.skipIf(!prefix)(
      'OCaml 5: the core at the raise is an overflow, and the walk crosses to the C stack',
      async () => {
        const { report } = analysis;
        expect(report.trigger).toEqual({ kind: 'stack-overflow-raise', at: 'caml_raise_exn' });
        expect(report.signal.name).toBe('SIGTRAP');
        expect(report.walk.ended).toBe('bottom');
        expect(report.entry.map((f) => f.name)).toEqual(
          expect.arrayContaining(['caml_program', 'caml_start_program', 'caml_main', 'main']),
        );
        // gdb shows caml_start_program as a signal frame, then the C caller:
        // the frame we find through the entry's link.
        const outermost = await gdbBacktrace(executable, core, -12);
        const afterStart = outermost.find((g) => g.symbol === 'caml_program')!.index + 2;
        const viaLink = report.entry.find((f) => f.method === 'context')!;
        expect(viaLink.index).toBe(afterStart);
        expect(Number.parseInt(viaLink.pc, 16)).toBe(outermost.find((g) => g.index === afterStart)!.pc);
      },
    );
});
