/**
 * `lwt-regress check -- PROGRAM ARGS`: a program built elsewhere (here with
 * plain ocamlfind, without lwt-regress's SIGSEGV reset), run, analysed and
 * judged; the core comes from a run under gdb when OCaml's own handler turned
 * the overflow into an exception.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { runCli } from './support/cli.js';

let tmp: Awaited<ReturnType<typeof dir>>;
let program: string;
let staticProgram: string;
const at = (...parts: string[]) => join(tmp.path, ...parts);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-check-' });
  await writeFile(
    at('deep.ml'),
    'let rec f n = if n = 0 then 0 else 1 + g (n - 1)\nand g n = if n = 0 then 0 else 1 + f (n - 1)\n' +
      'let () = Printf.printf "%d\\n" (f (int_of_string Sys.argv.(1)))\n',
  );
  await execa('ocamlfind', ['ocamlopt', '-g', 'deep.ml', '-o', 'deep'], { cwd: tmp.path });
  // Static: no preloaded library reaches it, so it keeps OCaml's own SIGSEGV handler.
  await execa('ocamlfind', ['ocamlopt', '-g', 'deep.ml', '-o', 'deep-static', '-ccopt', '-static'], { cwd: tmp.path });
  program = at('deep');
  staticProgram = at('deep-static');
});
afterAll(() => tmp.cleanup());

const check = (args: string[]) => runCli(['check', '--artifacts', at('artifacts'), ...args], { cwd: tmp.path });

describe('check', () => {
  it('a program that runs out of memory has not overflowed its stack: --expect cycle fails', async () => {
    await writeFile(at('oom.ml'), 'let () = print_int (Array.length (Array.make (int_of_string Sys.argv.(1)) 0))\n');
    await execa('ocamlfind', ['ocamlopt', 'oom.ml', '-o', 'oom'], { cwd: tmp.path });
    await writeFile(at('oom.sh'), `#!/bin/sh\nulimit -v 300000\nexec ${at('oom')} 100000000\n`, { mode: 0o755 });
    const r = await check(['--expect', 'cycle', '--', at('oom.sh')]);
    expect(r.exitCode, r.stdout).toBe(EXIT.failed);
    expect(r.stdout).toMatch(
      /^FAIL: expected a stack overflow .*, observed exit 2: Fatal error: exception Out_of_memory$/m,
    );
  });

  it('a program that overflows: exit 1, the cycle from its core, evidence kept', async () => {
    const r = await check(['--', program, '10000000']);
    expect(r.exitCode).toBe(EXIT.failed);
    expect(r.stdout).toMatch(/^FAIL: expected a clean run, observed cycle of 2 × [\d,]+: Deep\.g → Deep\.f/);
    expect(r.stdout).not.toMatch(/run again under gdb/);
    expect(r.stdout).toMatch(/Recurring cycle of 2 frames/);
    expect(r.stdout).toMatch(/kept: .*artifacts\/check\/deep/);
  });

  it("a program keeping OCaml's own handler (static): its uncaught Stack_overflow is run again under gdb", async () => {
    const r = await check(['--', staticProgram, '10000000']);
    expect(r.exitCode).toBe(EXIT.failed);
    expect(r.stdout).toMatch(/^FAIL: expected a clean run, observed cycle of 2 × [\d,]+: Deep\.g → Deep\.f/);
    expect(r.stdout).toMatch(/run again under gdb for a core/);
  });

  it('the same program within its stack: exit 0', async () => {
    const r = await check(['--', program, '1000']);
    expect(r.exitCode).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/^PASS: no stack overflow/);
  });

  it('--expect cycle with the frames it must show, as JSON', async () => {
    const r = await check(['--json', '--expect', 'cycle', '--frames', 'Deep.f,Deep.g', '--', program, '10000000']);
    expect(r.exitCode).toBe(EXIT.ok);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ schema: 'lwt-regress/check', status: 'pass', observed: { outcome: 'cycle' } });
    expect(json.analysis.verdict).toBe('stack-overflow-with-cycle');
  });

  it('with --capture kernel, that program ends in an uncaught Stack_overflow; check says how to get one', async () => {
    const r = await check(['--capture', 'kernel', '--', staticProgram, '10000000']);
    expect(r.exitCode).toBe(EXIT.failed);
    expect(r.stdout).toMatch(/observed uncaught Stack_overflow/);
    expect(r.stdout).toMatch(/--capture gdb stops at the overflow and writes one/);
  });

  it.each([
    [['--', 'no-such-program'], EXIT.unreadable, /the program no-such-program does not exist/],
    [[], EXIT.usage, /check needs the program to run after --/],
    [['--expect', 'maybe', '--', 'x'], EXIT.usage, /--expect must be clean or cycle/],
    [['--frames', 'A.f', '--', 'x'], EXIT.usage, /--frames names the frames of a cycle: add --expect cycle/],
  ])('check %j: the exit code, and one line naming the problem', async (args, code, message) => {
    const r = await check(args);
    expect(r.exitCode).toBe(code);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
