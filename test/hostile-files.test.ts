import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { analyzeCore } from '../src/analyze/analyze-core.js';
import { AT_ENTRY, NT_AUXV, PT_NOTE } from '../src/elf/constants.js';
import { EXIT, UserError } from '../src/errors.js';
import { FileReader } from '../src/io/file-reader.js';
import { runCli } from './support/cli.js';
import { ElfPatch } from './support/elf-patch.js';
import { buildAndCrash, type CrashFixture, SPECS } from './support/fixtures.js';
import { expectOneLineError } from './support/one-line-error.js';
import { RecordingReader } from './support/recording-reader.js';
import { joined } from './support/regex.js';

const crashes = inject('crashes');
const chain = crashes['wakeup-chain']!;
let tmp: Awaited<ReturnType<typeof dir>>;
const at = (name: string) => join(tmp.path, name);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-hostile-' });
  await execa('mkfifo', ['-m', '600', at('fifo')]);
});
afterAll(() => tmp.cleanup());

describe('analyze opens regular files only', () => {
  // Without the check, opening a FIFO waits for a writer forever: the timeout turns that into a failure.
  it.each([
    ['core', () => [chain.executable, at('fifo')]],
    ['executable', () => [at('fifo'), chain.core]],
  ])('a FIFO as the %s is refused at once', async (role, paths) => {
    const r = await runCli(['analyze', ...paths()], { timeout: 20_000 });
    expect(r.exitCode).toBe(EXIT.unreadable);
    expectOneLineError(r, new RegExp(`${role} .*fifo is a FIFO \\(named pipe\\), not a regular file\\. Pass the path`));
  });

  it.each([
    ['a directory', () => tmp.path, /is a directory, not a regular file/],
    ['a character device', () => '/dev/zero', /is a character device, not a regular file/],
  ])('%s as the core is refused', async (_kind, path, message) => {
    const r = await runCli(['analyze', chain.executable, path()], { timeout: 20_000 });
    expect(r.exitCode).toBe(EXIT.unreadable);
    expectOneLineError(r, message);
  });
});

const selfRec = crashes['self-recursion']!;
const MiB = 1024 * 1024;

/** The analysis of real files as the CLI prints it, with the given Node options (a small heap). */
async function analyzeJson(exe: string, core: string, nodeOptions = '') {
  const r = await runCli(['analyze', exe, core, '--json'], { env: { NODE_OPTIONS: nodeOptions }, timeout: 60_000 });
  return { ...r, report: r.exitCode === EXIT.ok ? JSON.parse(r.stdout) : undefined };
}

/** analyzeCore in this process, reading through recording readers; returns the error it threw, if any. */
function analyzeRecorded(exePath: string, corePath: string, keepLog = false) {
  const exeFile = FileReader.open(exePath, 'executable');
  const coreFile = FileReader.open(corePath, 'core');
  const exe = new RecordingReader(exeFile, keepLog);
  const core = new RecordingReader(coreFile, keepLog);
  try {
    return { exe, core, analysis: analyzeCore(exe, core), error: undefined };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { exe, core, analysis: undefined, error };
  } finally {
    exeFile.close();
    coreFile.close();
  }
}

describe('note areas are bounded', () => {
  it('a PT_NOTE segment over 128 MiB of zeros is refused before it is read', async () => {
    const core = await ElfPatch.copy(selfRec.core, at('zero-notes-core'));
    const end = await core.size();
    await core.extendTo(end + 128 * MiB);
    const note = (await core.programHeaders()).find((p) => p.type === PT_NOTE)!;
    await core.setSegment(note, { offset: end, filesz: 128 * MiB });
    await core.close();

    const r = await runCli(['analyze', selfRec.executable, core.path], { timeout: 60_000 });
    expect(r.exitCode).toBe(EXIT.corrupt);
    expectOneLineError(
      r,
      /note segment claims 134217728 bytes, more than a real one holds \(limit 67108864\)\. Re-capture the core/,
    );
    const { core: reads, error } = analyzeRecorded(selfRec.executable, core.path);
    expect(error?.exitCode).toBe(EXIT.corrupt);
    expect(reads.largest).toBeLessThan(MiB);
  });

  it('the real notes behind 48 MiB of empty notes are found, in a 96 MB heap', async () => {
    const original = await analyzeJson(selfRec.executable, selfRec.core);
    const core = await ElfPatch.copy(selfRec.core, at('empty-notes-core'));
    const note = (await core.programHeaders()).find((p) => p.type === PT_NOTE)!;
    const notes = await core.bytes(note.offset, note.filesz);
    // 48 MiB of zeros are 4 Mi notes of 12 bytes with empty names and descriptions.
    const zeros = 48 * MiB;
    const start = Math.ceil((await core.size()) / 4096) * 4096;
    await core.extendTo(start + zeros);
    await core.append(notes, 4);
    await core.setSegment(note, { offset: start, filesz: zeros + notes.length });
    await core.close();

    const r = await analyzeJson(selfRec.executable, core.path, '--max-old-space-size=96');
    expect(r.stderr).toBe('');
    expect(r.report.core.pid).toBe(original.report.core.pid);
    expect(r.report.registers).toEqual(original.report.registers);
    expect(r.report.cycle).toEqual(original.report.cycle);
  });
});

describe('symbol tables are bounded and read once', () => {
  // The file is made long enough (sparse zeros) that the claim passes the file-size check.
  it.each([
    ['2 GiB', 2048 * MiB],
    ['1 GiB', 1024 * MiB],
  ])('a .strtab claiming %s is refused before it is read', async (label, claim) => {
    const exe = await ElfPatch.copy(selfRec.executable, at(`strtab-${label}`));
    const strtab = await exe.section('.strtab');
    await exe.extendTo(strtab.offset + claim + 4096);
    await exe.setU64(strtab.at + 32, claim);
    await exe.close();

    const r = await runCli(['analyze', exe.path, selfRec.core], { timeout: 60_000 });
    expect(r.exitCode).toBe(EXIT.corrupt);
    expectOneLineError(r, new RegExp(`section \\.strtab claims ${claim} bytes, more than a real one holds`));
    const { exe: reads, error } = analyzeRecorded(exe.path, selfRec.core);
    expect(error?.exitCode).toBe(EXIT.corrupt);
    expect(reads.largest).toBeLessThan(MiB);
  });

  it('the symbol names are read once', async () => {
    const exe = await ElfPatch.copy(selfRec.executable, at('exe-names'));
    const strtab = await exe.section('.strtab');
    await exe.close();
    const { exe: reads, analysis } = analyzeRecorded(exe.path, selfRec.core, true);
    expect(analysis?.report.cycle?.frames[0]?.name).toBe('Self_recursion.count');
    const overlapping = reads.log.filter(([o, n]) => o < strtab.offset + strtab.size && o + n > strtab.offset);
    expect(overlapping).toEqual([[strtab.offset, strtab.size]]);
  });
});

describe('each frame table is read once', () => {
  /**
   * A copy of the self-recursion core and executable where `caml_frametable`
   * names a new array, made from the real one's pointers by `arrange`, in a
   * segment added to the core (the executable's symbol is moved to it).
   */
  async function redirectFrameTables(name: string, arrange: (pointers: number[], sizes: number[]) => number[]) {
    const original = await analyzeJson(selfRec.executable, selfRec.core);
    const bias = Number(original.report.executable.loadBias);
    const exe = await ElfPatch.copy(selfRec.executable, at(`${name}-exe`));
    const symbol = await exe.symbolEntry('caml_frametable');
    const core = await ElfPatch.copy(selfRec.core, at(`${name}-core`));
    const pointers: number[] = [];
    const arrayAt = await core.fileOffsetOf((await exe.u64(symbol + 8)) + bias);
    for (let p = await core.u64(arrayAt); p !== 0; p = await core.u64(arrayAt + pointers.length * 8)) pointers.push(p);
    const sizes = await Promise.all(pointers.map(async (p) => core.u64(await core.fileOffsetOf(p))));
    const array = [...arrange(pointers, sizes), 0];
    const bytes = Buffer.alloc(array.length * 8);
    for (const [i, p] of array.entries()) bytes.writeBigUInt64LE(BigInt(p), i * 8);
    const newArray = bias + 0x100_0000_0000;
    await core.addSegment(newArray, bytes);
    await exe.setU64(symbol + 8, newArray - bias);
    await Promise.all([exe.close(), core.close()]);
    return { original: original.report, exe: exe.path, core: core.path, pointers, sizes };
  }

  it('1,000 pointers to the same tables give the tables of the real core, once each', async () => {
    const { original, exe, core, pointers } = await redirectFrameTables('repeated', (pointers) =>
      Array.from({ length: 1000 }, (_, i) => pointers[i % pointers.length]!),
    );
    expect(pointers.length).toBe(original.executable.frameTableModules);
    const r = await analyzeJson(exe, core);
    expect(r.stderr).toBe('');
    expect(r.report.executable).toMatchObject({
      frameTableModules: original.executable.frameTableModules,
      frameDescriptors: original.executable.frameDescriptors,
    });
    expect(r.report.cycle).toEqual(original.cycle);
    expect(r.report.walk).toEqual(original.walk);
  });

  it('pointers into the middle of a table are not read as tables of their own', async () => {
    // Every 8 bytes of the largest table's first 16 KiB, before and after the real pointers.
    const { original, exe, core } = await redirectFrameTables('inside', (pointers, sizes) => {
      const largest = pointers[sizes.indexOf(Math.max(...sizes))]!;
      const inside = Array.from({ length: 2048 }, (_, i) => largest + 8 + i * 8);
      return [...inside, ...pointers, ...inside];
    });
    const r = await analyzeJson(exe, core);
    expect(r.stderr).toBe('');
    expect(r.report.executable).toMatchObject({
      frameTableModules: original.executable.frameTableModules,
      frameDescriptors: original.executable.frameDescriptors,
    });
    expect(r.report.cycle).toEqual(original.cycle);
  });
});

describe('the core must place the executable where the process had it', () => {
  it('a core whose AT_ENTRY was moved by a page does not match the executable', async () => {
    const original = await analyzeJson(selfRec.executable, selfRec.core);
    expect(original.report.core.matchedBy).toBe('build-id');
    const core = await ElfPatch.copy(selfRec.core, at('moved-entry-core'));
    const auxv = await core.noteDesc('CORE', NT_AUXV);
    let entryAt: number | undefined;
    for (let p = auxv.at; p < auxv.at + auxv.size; p += 16) if ((await core.u64(p)) === AT_ENTRY) entryAt = p + 8;
    const entry = await core.u64(entryAt!);
    await core.setU64(entryAt!, entry + 0x1000);
    await core.close();

    const r = await runCli(['analyze', selfRec.executable, core.path]);
    expect(r.exitCode).toBe(EXIT.mismatch);
    expectOneLineError(
      r,
      joined(
        /was not dumped by executable .*self-recursion: /,
        /the process's file mappings do not hold the executable's segments at load bias 0x[0-9a-f]+ /,
        /\(from the entry point in the auxiliary vector\)\. Pass the exact binary/,
      ),
    );
  });
});

describe('deep stacks in bounded memory', () => {
  let deep: CrashFixture;
  beforeAll(async () => {
    // 32 MiB of self-recursion: two million frames, every other stack word a return address.
    deep = await buildAndCrash(SPECS.find((s) => s.name === 'self-recursion')!, at('deep'), 32 * 1024);
  });

  // The frames and the search for the cycle live in typed arrays, outside the JavaScript heap: per-frame
  // Maps, Sets and arrays of numbers (as before) run out of a 48 MB heap at this depth.
  it('scan mode walks two million frames in a 48 MB heap and finds the cycle the exact walk finds', async () => {
    const exact = await analyzeJson(deep.executable, deep.core, '--max-old-space-size=48');
    const scan = await runCli(['analyze', deep.executable, deep.core, '--json', '--mode', 'scan'], {
      env: { NODE_OPTIONS: '--max-old-space-size=48' },
      timeout: 60_000,
    });
    expect(scan.stderr).toBe('');
    const report = JSON.parse(scan.stdout);
    expect(exact.report.walk.totalFrames).toBeGreaterThan(2_000_000);
    expect(report.walk).toMatchObject({ mode: 'scan', totalFrames: exact.report.walk.totalFrames });
    expect(report.cycle).toMatchObject({
      period: 1,
      repetitions: exact.report.cycle.repetitions,
      frames: [{ name: 'Self_recursion.count' }],
      noiseFrames: 0,
    });
  });
});
