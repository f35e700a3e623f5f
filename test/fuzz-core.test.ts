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

const outcomes = { reports: 0, userErrors: 0 };

function survives(
  exe: Uint8Array,
  core: Uint8Array,
  m: { patches: [number, number][]; cut: number | null },
  mutate: 'core' | 'executable',
) {
  const target = mutate === 'core' ? core : exe;
  const mutated = new MutatedReader(target, new Map(m.patches), m.cut ?? target.length);
  const exeReader = mutate === 'executable' ? mutated : new BufferReader(exe, 'exe');
  const coreReader = mutate === 'core' ? mutated : new BufferReader(core, 'core');
  const started = performance.now();
  try {
    const { report } = analyzeCore(exeReader, coreReader);
    expect(report.walk.totalFrames).toBeGreaterThan(0);
    outcomes.reports++;
  } catch (error) {
    outcomes.userErrors++;
    // Only user-facing errors may escape: anything else is a crash of the analyzer.
    if (!(error instanceof UserError)) throw error;
  }
  expect(performance.now() - started).toBeLessThan(10_000);
}

describe('readers never crash, hang or blow up on corrupt input', () => {
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
    fc.assert(
      fc.property(mutation(4_000_000), (m) => survives(exe, core, m, 'core')),
      { numRuns: 300 },
    );
  });

  it('mutated executables', () => {
    fc.assert(
      fc.property(mutation(1_000_000), (m) => survives(exe, core, m, 'executable')),
      { numRuns: 150 },
    );
  });

  it('mutated deep Lwt overflow cores (stack and frame tables included)', () => {
    fc.assert(
      fc.property(mutation(chainCore?.length ?? 1), (m) => survives(chainExe, chainCore, m, 'core')),
      { numRuns: 40 },
    );
  });

  it('reached the analysis in a good share of the cases, so the fuzzing goes deep', () => {
    expect(outcomes.reports).toBeGreaterThan((outcomes.reports + outcomes.userErrors) / 4);
    console.log(`fuzz: ${outcomes.reports} analyses completed, ${outcomes.userErrors} rejected with a user error`);
  });
});
