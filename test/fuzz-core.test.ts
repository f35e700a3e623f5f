import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { analyzeCore } from '../src/analyze/analyze-core.js';
import { BufferReader, type ByteReader } from '../src/elf/byte-reader.js';
import { UserError } from '../src/errors.js';

const crashes = inject('crashes');

/** A core with some bytes changed and maybe cut short, without copying the whole file per case. */
class MutatedReader implements ByteReader {
  constructor(
    private readonly base: Uint8Array,
    private readonly patches: Map<number, number>,
    readonly size: number,
    readonly name = 'mutated-core',
  ) {}

  read(offset: number, length: number): Uint8Array {
    const end = Math.min(this.size, offset + length);
    if (offset >= end) return new Uint8Array(0);
    // A copy: Buffer#slice would be a view, and the patches would leak into the shared base.
    const out = Uint8Array.prototype.slice.call(this.base, offset, end);
    for (const [at, value] of this.patches) if (at >= offset && at < end) out[at - offset] = value;
    return out;
  }

  readInto(offset: number, target: Uint8Array): number {
    const bytes = this.read(offset, target.length);
    target.set(bytes);
    return bytes.length;
  }
}

const mutation = (size: number) =>
  fc.record({
    // Mostly the headers and notes (where lengths and counts live), some anywhere.
    patches: fc.array(fc.tuple(fc.oneof(fc.nat(4095), fc.nat(size - 1)), fc.nat(255)), { minLength: 1, maxLength: 24 }),
    cut: fc.oneof({ arbitrary: fc.constant(null), weight: 5 }, { arbitrary: fc.nat(size), weight: 1 }),
  });

interface Outcomes {
  reports: number;
  userErrors: number;
}

function survives(
  exe: Uint8Array,
  core: Uint8Array,
  m: { patches: [number, number][]; cut: number | null },
  mutate: 'core' | 'executable',
  outcomes: Outcomes,
) {
  const target = mutate === 'core' ? core : exe;
  const mutated = new MutatedReader(target, new Map(m.patches), m.cut ?? target.length);
  const exeReader = mutate === 'executable' ? mutated : new BufferReader(exe, 'exe');
  const coreReader = mutate === 'core' ? mutated : new BufferReader(core, 'core');
  const started = performance.now();
  try {
    const { report } = analyzeCore(exeReader, coreReader);
    // What a corrupt core gives is still plain data: no NaN, infinity or undefined that JSON would lose.
    expect(JSON.parse(JSON.stringify(report))).toStrictEqual(report);
    outcomes.reports++;
  } catch (error) {
    outcomes.userErrors++;
    // Only user-facing errors may escape: anything else is a crash of the analyzer.
    if (!(error instanceof UserError)) throw error;
  }
  expect(performance.now() - started).toBeLessThan(10_000);
}

/**
 * Mutates one of the two files `numRuns` times (bytes mostly in its first
 * 4 KiB, some anywhere below `within`, and maybe a cut); each run must end in
 * a report or a user error, quickly; a quarter at least must reach a report.
 */
function fuzz(
  exe: Uint8Array,
  core: Uint8Array,
  mutate: { file: 'core' | 'executable'; within: number },
  numRuns: number,
): void {
  const outcomes = { reports: 0, userErrors: 0 };
  fc.assert(
    fc.property(mutation(mutate.within), (m) => survives(exe, core, m, mutate.file, outcomes)),
    { numRuns },
  );
  console.log(
    `fuzz (${mutate.file}): ${outcomes.reports} analyses completed, ${outcomes.userErrors} rejected with a user error`,
  );
  // The fuzzing goes deep: a good share of the runs get past the headers to a whole analysis.
  expect(outcomes.reports).toBeGreaterThan(numRuns / 4);
}

describe('corrupt input ends in a report or a user error, quickly, and often enough in a report', () => {
  let exe: Uint8Array;
  let core: Uint8Array;
  let chainExe: Uint8Array;
  let chainCore: Uint8Array;
  beforeAll(async () => {
    exe = await readFile(crashes['null-write']!.executable);
    core = await readFile(crashes['null-write']!.core);
    chainExe = await readFile(crashes['wakeup-chain']!.executable);
    chainCore = await readFile(crashes['wakeup-chain']!.core);
  });

  it('mutated cores', () => {
    fuzz(exe, core, { file: 'core', within: 4_000_000 }, 300);
  });

  it('mutated executables', () => {
    fuzz(exe, core, { file: 'executable', within: 1_000_000 }, 150);
  });

  it('mutated deep Lwt overflow cores (stack and frame tables included)', () => {
    fuzz(chainExe, chainCore, { file: 'core', within: chainCore.length }, 40);
  });
});
