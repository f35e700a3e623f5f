/**
 * Cases from a directory of the user's (--cases): broken manifests are
 * reported per case while the others run, and wrong directories are one line.
 */
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { makeCasesDir } from './support/case-dir.js';
import { runCli } from './support/cli.js';
import { expectOneLineError } from './support/one-line-error.js';

let tmp: Awaited<ReturnType<typeof dir>>;
let cases: string;
const at = (...parts: string[]) => join(tmp.path, ...parts);
const clean = 'let () = print_endline "clean: ok"\n';

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-cases-' });
  cases = await makeCasesDir(at('cases'), [
    { name: 'fine', program: clean },
    {
      name: 'null-expectation',
      program: clean,
      manifest: { description: 'x', needs: '*', size: { default: 1 }, expect: [null] },
    },
    { name: 'not-json', program: clean, manifest: '{ "description": ' },
  ]);
  await mkdir(at('cases', 'no-manifest'));
  await writeFile(at('cases', 'no-manifest', 'case.ml'), clean);
});
afterAll(() => tmp.cleanup());

async function run(args: string[]) {
  const r = await runCli(['run', '--json', '--artifacts', at('artifacts'), ...args], {
    env: { LWT_REGRESS_CACHE: at('cache') },
    cwd: tmp.path,
  });
  const results: ProbeResult[] = r.stdout.startsWith('{') ? JSON.parse(r.stdout).results : [];
  return { ...r, results };
}

describe('a cases directory with broken cases in it', () => {
  it('reports each invalid case, still runs the others, and exits 2', async () => {
    const r = await run(['--cases', cases, '--lwt', 'installed']);
    expect(r.stderr).not.toMatch(/TypeError|at .*\.js:\d+/);
    expect(r.exitCode).toBe(EXIT.usage);
    expect(r.results.map((x) => [x.case, x.status])).toEqual([
      ['not-json', 'invalid'],
      ['null-expectation', 'invalid'],
      ['fine', 'pass'],
    ]);
    expect(r.results[0]!.reason).toMatch(/case\.json is not valid JSON/);
    expect(r.results[1]!.reason).toMatch(/expect\[0\] must be an object/);
  });

  it('follows a case directory that is a symbolic link, and refuses a FIFO for a source without blocking', async () => {
    const linked = at('linked');
    await mkdir(linked);
    await symlink(join(cases, 'fine'), join(linked, 'fine'));
    await makeCasesDir(join(linked, '..', 'fifo-cases'), [{ name: 'fifo', program: clean }]);
    await rm(join(linked, '..', 'fifo-cases', 'fifo', 'case.ml'));
    await execa('mkfifo', [join(linked, '..', 'fifo-cases', 'fifo', 'case.ml')]);
    await symlink(join(linked, '..', 'fifo-cases', 'fifo'), join(linked, 'fifo'));
    const r = await run(['--cases', linked, '--lwt', 'installed']);
    expect(r.results.map((x) => [x.case, x.status])).toEqual([
      ['fifo', 'invalid'],
      ['fine', 'pass'],
    ]);
    expect(r.results[0]!.reason).toMatch(/case\.ml is not a regular file/);
  });

  it('nothing to probe is no pass: an empty cases directory and a gate with no case exit 2, saying so', async () => {
    await mkdir(at('empty'));
    const r = await run(['--cases', at('empty')]);
    expect(r.exitCode).toBe(EXIT.usage);
    expectOneLineError(r, /no case found in .*empty\. Give --cases/);
    const gate = await runCli(['gate', '--cases', at('empty'), '--baseline', 'installed', '--candidate', 'installed'], {
      env: { LWT_REGRESS_CACHE: at('cache') },
    });
    expect(gate.exitCode).toBe(EXIT.usage);
    expect(gate.stdout).not.toMatch(/PASS/);
  });

  it('names a directory without a manifest in a warning and skips it', async () => {
    const r = await runCli(['run', '--cases', cases, '--case', 'fine', '--artifacts', at('artifacts')], {
      env: { LWT_REGRESS_CACHE: at('cache') },
    });
    expect(r.exitCode).toBe(EXIT.ok);
    expect(r.stderr).toMatch(/warning: .*no-manifest has no case\.json: skipped/);
  });

  it('a fail outranks an invalid case in the exit code', async () => {
    const failing = await makeCasesDir(at('more'), [
      { name: 'fails', program: clean, expect: [{ lwt: '*', outcome: 'cycle' }] },
    ]);
    const r = await run(['--cases', `${cases},${failing}`, '--lwt', 'installed', '--case', 'fails,not-json']);
    expect(r.results.map((x) => x.status)).toEqual(['invalid', 'fail']);
    expect(r.exitCode).toBe(EXIT.failed);
  });
});

describe('a case of several modules', () => {
  it('is compiled in the order ocamldep -sort gives, whatever their names', async () => {
    const multi = at('multi', 'two-modules');
    await mkdir(multi, { recursive: true });
    await writeFile(join(multi, 'a_main.ml'), 'let () = Printf.printf "clean: %d\\n" (Zz_helper.twice 21)\n');
    await writeFile(join(multi, 'zz_helper.mli'), 'val twice : int -> int\n');
    await writeFile(join(multi, 'zz_helper.ml'), 'let twice x = 2 * x\n');
    await writeFile(
      join(multi, 'case.json'),
      JSON.stringify({ description: 'x', needs: '*', size: { default: 1 }, expect: [{ lwt: '*', outcome: 'clean' }] }),
    );
    const r = await run(['--cases', at('multi'), '--lwt', 'installed']);
    expect(r.results[0]).toMatchObject({ case: 'two-modules', status: 'pass', observed: { summary: 'clean: 42' } });
  });
});

describe('bad input', () => {
  it.each([
    [['--cases', '/nonexistent/cases'], /the cases directory \/nonexistent\/cases does not exist/],
    [['--timeout', '99999999'], /--timeout 99999999 is more than a day/],
  ])('%j: exit 2, one line', async (args, message) => {
    const r = await run(args);
    expect(r.exitCode).toBe(EXIT.usage);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it('two cases of the same name in two directories', async () => {
    const again = await makeCasesDir(at('again'), [{ name: 'fine', program: clean }]);
    const r = await run(['--cases', cases, '--cases', again]);
    expect(r.exitCode).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/two cases are named fine: .*cases\/fine and .*again\/fine/);
  });

  it('a --lwt-git value that looks like an option reaches git as a repository, never as an option', async () => {
    const marker = at('pwned');
    const r = await run([`--lwt-git=--upload-pack=touch ${marker}`, '--lwt', '5.6.1', '--case', 'wakeup-chain']);
    expect(r.exitCode).toBe(EXIT.usage);
    await expect(import('node:fs/promises').then((fs) => fs.access(marker))).rejects.toThrow();
  });
});
