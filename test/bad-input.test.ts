import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { runCli } from './support/cli.js';
import { expectOneLineError } from './support/one-line-error.js';
import { joined } from './support/regex.js';

const crashes = inject('crashes');
const chain = crashes['wakeup-chain']!;
const selfRec = crashes['self-recursion']!;
let tmp: Awaited<ReturnType<typeof dir>>;
const at = (name: string) => join(tmp.path, name);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true });
});
afterAll(() => tmp.cleanup());

async function patched(name: string, from: string, patch: (b: Buffer) => void): Promise<string> {
  const bytes = await readFile(from);
  patch(bytes);
  await writeFile(at(name), bytes);
  return at(name);
}

describe('bad input gets one clear line and a documented exit code', () => {
  it('a file that is not ELF', async () => {
    await writeFile(at('notes.txt'), 'just some text, not a core\n');
    const r = await runCli(['analyze', chain.executable, at('notes.txt')]);
    expect(r.exitCode).toBe(EXIT.unsupportedFormat);
    expectOneLineError(r, /notes\.txt is not an ELF file/);
  });

  it('an empty core', async () => {
    await writeFile(at('empty'), '');
    const r = await runCli(['analyze', chain.executable, at('empty')]);
    expect(r.exitCode).toBe(EXIT.corrupt);
    expectOneLineError(r, /empty/);
  });

  it('a truncated core', async () => {
    const bytes = await readFile(chain.core);
    await writeFile(at('truncated'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    const r = await runCli(['analyze', chain.executable, at('truncated')]);
    expect(r.exitCode).toBe(EXIT.corrupt);
    expectOneLineError(r, /truncated or corrupt: .*file has \d+ bytes.*Re-capture the core/);
  });

  it('a core cut inside its headers', async () => {
    const bytes = await readFile(chain.core);
    await writeFile(at('cut'), bytes.subarray(0, 40));
    const r = await runCli(['analyze', chain.executable, at('cut')]);
    expect(r.exitCode).toBe(EXIT.corrupt);
    expectOneLineError(r, /truncated/);
  });

  it.each([
    ['32-bit', (b: Buffer) => (b[4] = 1), /32-bit/],
    ['big-endian', (b: Buffer) => (b[5] = 2), /big-endian/],
    ['AArch64', (b: Buffer) => b.writeUInt16LE(183, 18), /for AArch64, not x86-64/],
  ])('a %s executable', async (name, patch, message) => {
    const exe = await patched(`exe-${name}`, chain.executable, patch);
    const r = await runCli(['analyze', exe, chain.core]);
    expect(r.exitCode).toBe(EXIT.unsupportedFormat);
    expectOneLineError(r, message);
  });

  it('a core that belongs to another executable', async () => {
    const r = await runCli(['analyze', selfRec.executable, chain.core]);
    expect(r.exitCode).toBe(EXIT.mismatch);
    expectOneLineError(
      r,
      joined(
        /core .*core was not dumped by executable .*self-recursion: /,
        /build-id [0-9a-f]+ in the core, [0-9a-f]+ in the executable/,
      ),
    );
  });

  it('executable and core swapped', async () => {
    const r = await runCli(['analyze', chain.core, chain.executable]);
    expect(r.exitCode).toBe(EXIT.usage);
    expectOneLineError(r, /executable first and the core second/);
  });

  it('a core without the stack mapping', async () => {
    // Turn the stack's PT_LOAD into PT_NULL: the one holding rsp, or the one just above it when the
    // overflowing function had already moved rsp below the mapping.
    const { stdout } = await execa('gdb', ['-batch', '-nx', '-ex', 'p/x $rsp', chain.executable, chain.core]);
    const rsp = BigInt(/= (0x[0-9a-f]+)/.exec(stdout)![1]!);
    const core = await patched('no-stack', chain.core, (b) => {
      const phoff = Number(b.readBigUInt64LE(32));
      const phnum = b.readUInt16LE(56);
      for (let i = 0; i < phnum; i++) {
        const ph = phoff + i * 56;
        const vaddr = b.readBigUInt64LE(ph + 16);
        const memsz = b.readBigUInt64LE(ph + 40);
        if (b.readUInt32LE(ph) === 1 && rsp < vaddr + memsz && vaddr <= rsp + 0x10000n) b.writeUInt32LE(0, ph);
      }
    });
    const r = await runCli(['analyze', chain.executable, core]);
    expect(r.exitCode).toBe(EXIT.noStack);
    expectOneLineError(r, /holds no stack memory at rsp 0x[0-9a-f]+\. Capture a full core/);
  });

  it('a stripped executable still gives the cycle, and says it is stripped', async () => {
    await copyFile(chain.executable, at('stripped'));
    await execa('strip', ['--strip-all', at('stripped')]);
    const r = await runCli(['analyze', at('stripped'), chain.core, '--json']);
    expect(r.exitCode).toBe(EXIT.ok);
    const report = JSON.parse(r.stdout);
    expect(report.executable.symbols).toBe('dynsym');
    expect(report.notes.join('\n')).toMatch(/stripped/);
    expect(report.verdict).toBe('stack-overflow-with-cycle');
    expect(report.cycle.frames.map((f: { name: string }) => f.name)).toContain('Lwt.resolve');
  });

  it.each([['0'], ['-3'], ['abc'], ['1.5'], ['']])('--max-frames=%j is refused: exit 2, one line', async (value) => {
    const r = await runCli(['analyze', chain.executable, chain.core, `--max-frames=${value}`]);
    expect(r.exitCode).toBe(EXIT.usage);
    expectOneLineError(r, new RegExp(`--max-frames must be a positive integer, not '${value.replace('.', '\\.')}'`));
  });

  it('--max-frames without a value', async () => {
    const r = await runCli(['analyze', chain.executable, chain.core, '--max-frames']);
    expect(r.exitCode).toBe(EXIT.usage);
    expectOneLineError(r, /--max-frames.*argument missing/);
  });

  it.each([
    [['analyze', '--frobnicate', 'a', 'b'], /Unknown option '--frobnicate'/],
    [['analyze', 'only-one'], /analyze takes an executable and a core, got 1 argument/],
    [['analyze', 'a', 'b', '--mode', 'guess'], /--mode must be exact or scan/],
    [['transmogrify'], /unknown command 'transmogrify'/],
  ])('%j is a usage error: exit 2, one line', async (args, message) => {
    const r = await runCli(args);
    expect(r.exitCode).toBe(EXIT.usage);
    expectOneLineError(r, message);
  });

  it('a file that does not exist', async () => {
    const r = await runCli(['analyze', chain.executable, at('nope')]);
    expect(r.exitCode).toBe(EXIT.unreadable);
    expectOneLineError(r, /core .*nope does not exist/);
  });

  it('--max-frames stops the walk early and says so', async () => {
    const r = await runCli(['analyze', chain.executable, chain.core, '--max-frames', '100', '--json']);
    expect(r.exitCode).toBe(EXIT.ok);
    const report = JSON.parse(r.stdout);
    expect(report.walk).toMatchObject({ totalFrames: 100, ended: 'max-frames', maxFrames: 100 });
  });
});
