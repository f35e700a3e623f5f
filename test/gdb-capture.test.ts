/**
 * Runs under gdb (where core_pattern is a pipe, or --capture gdb): the
 * program's output without gdb's own lines, and its exit code as a number
 * (gdb prints it in octal).
 */
import { mkdir, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { makeCasesDir } from './support/case-dir.js';
import { runCli } from './support/cli.js';

let tmp: Awaited<ReturnType<typeof dir>>;
let cases: string;
const at = (...parts: string[]) => join(tmp.path, ...parts);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-gdb-' });
  cases = await makeCasesDir(at('cases'), [
    { name: 'clean', program: 'let () = print_endline "clean: under gdb"\n' },
    { name: 'exits-nine', program: 'let () = prerr_endline "giving up"; exit 9\n' },
  ]);
});
afterAll(() => tmp.cleanup());

describe('a run under gdb', () => {
  it("reads the program's own last line, and its exit code as a number", async () => {
    const r = await runCli(['run', '--json', '--capture', 'gdb', '--cases', cases, '--artifacts', at('a')], {
      env: { LWT_REGRESS_CACHE: at('cache') },
    });
    const results = JSON.parse(r.stdout).results as ProbeResult[];
    expect(results.find((x) => x.case === 'clean')).toMatchObject({
      status: 'pass',
      observed: { summary: 'clean: under gdb' },
    });
    // 9 is printed by gdb as "exited with code 011".
    expect(results.find((x) => x.case === 'exits-nine')!.observed!.summary).toBe('exit 9: giving up');
  });

  it('asked for where gdb is not installed, is one usage error naming both ways out (exit 8)', async () => {
    // A PATH with everything but gdb (on merged-/usr Debian, /bin is /usr/bin, so it is left out too).
    const bin = at('no-gdb-bin');
    await mkdir(bin);
    for (const name of await readdir('/usr/bin'))
      if (name !== 'gdb') await symlink(join('/usr/bin', name), join(bin, name));
    const r = await runCli(['run', '--capture', 'gdb', '--cases', cases, '--case', 'clean', '--artifacts', at('b')], {
      env: { LWT_REGRESS_CACHE: at('cache'), PATH: bin },
    });
    expect(r.exitCode).toBe(EXIT.toolchain);
    expect(r.stderr).toMatch(/gdb is needed to capture cores here but is not installed/);
    expect(r.stderr).toMatch(/Install gdb \(apt-get install gdb\), or make the kernel write core files/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
