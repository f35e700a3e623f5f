/**
 * A run ends everything its case started, keeps memory and logs bounded
 * whatever the case writes, and returns within its time limit even when the
 * case's children escape into a session of their own.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { taggedProcesses } from '../src/run/process-tags.js';
import { makeCasesDir, processesWith } from './support/case-dir.js';
import { CLI, runCli } from './support/cli.js';

let tmp: Awaited<ReturnType<typeof dir>>;
let cases: string;
let env: Record<string, string>;
const at = (...parts: string[]) => join(tmp.path, ...parts);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-confinement-' });
  env = { LWT_REGRESS_CACHE: at('cache') };
  cases = await makeCasesDir(at('cases'), [
    {
      // The escaped child keeps the output pipe open: without confinement the run never ends.
      name: 'escapes-and-hangs',
      program: 'let () = ignore (Sys.command "setsid sleep 300 & sleep 300")\n',
    },
    {
      name: 'leaves-children',
      program:
        'let () = ignore (Sys.command "setsid sleep 300 >/dev/null 2>&1 & sleep 300 &");\n' +
        '  print_endline "clean: started two children"\n',
    },
    ...['3002', '3003'].map((seconds) => ({
      // env -i clears the child's environment, tag included: only a cgroup still holds it.
      name: `clears-its-environment-${seconds}`,
      program:
        `let () = ignore (Sys.command "setsid env -i /bin/sleep ${seconds} & sleep 1");\n` +
        '  print_endline "clean: its child cleared its environment"\n',
    })),
    {
      name: 'writes-a-gibibyte',
      program:
        "let () =\n  let b = Bytes.make 65536 'x' in\n  for _ = 1 to 16384 do print_bytes b done;\n" +
        '  print_string "\\nclean: wrote 1 GiB\\n"\n',
      expect: [{ lwt: '*', outcome: 'cycle' }],
    },
  ]);
});
afterAll(() => tmp.cleanup());

/** Every process started under this test's cache: the CLI's whole tree carries it in its environment. */
const leftovers = () => taggedProcesses('LWT_REGRESS_CACHE', env.LWT_REGRESS_CACHE!);

async function run(caseName: string, extra: string[] = []) {
  const r = await runCli(
    [
      'run',
      '--json',
      '--cases',
      cases,
      '--case',
      caseName,
      '--lwt',
      'installed',
      '--artifacts',
      at('artifacts'),
      ...extra,
    ],
    { env },
  );
  const results: ProbeResult[] = r.stdout.startsWith('{') ? JSON.parse(r.stdout).results : [];
  return { ...r, result: results[0]! };
}

describe('processes a case leaves behind', () => {
  it('a child in its own session does not keep `run --timeout 5` from returning, and is ended', async () => {
    const started = Date.now();
    const r = await run('escapes-and-hangs', ['--timeout', '5']);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.result.observed!.outcome).toBe('hang');
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it('background children of a case that exits cleanly are ended after a passing run', async () => {
    const r = await run('leaves-children');
    expect(r.exitCode).toBe(EXIT.ok);
    expect(r.result.status).toBe('pass');
    expect(r.result.notes).toEqual([expect.stringMatching(/^2 process\(es\) the case left running were ended$/)]);
    expect(leftovers()).toEqual([]);
  });
});

describe('a child that clears its environment', () => {
  it('is held by a cgroup of the run: the run passes at once and the child is ended', async () => {
    const started = Date.now();
    const r = await run('clears-its-environment-3002', ['--timeout', '5']);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.result, r.stderr).toMatchObject({ status: 'pass' });
    expect(await processesWith('3002')).toEqual([]);
    const header = await runCli(
      ['run', '--cases', cases, '--case', 'clears-its-environment-3002', '--lwt', 'installed'],
      {
        env,
      },
    );
    expect(header.stderr).toMatch(/processes held by a cgroup v[12]( pids)? of their own/);
    expect(await processesWith('3002')).toEqual([]);
  }, 60_000);

  it('with the tags alone, does not keep the run from ending, and the result says it may still run', async () => {
    const started = Date.now();
    const r = await runCli(
      [
        'run',
        '--json',
        '--cases',
        cases,
        '--case',
        'clears-its-environment-3003',
        '--lwt',
        'installed',
        '--timeout',
        '5',
      ],
      { env: { ...env, LWT_REGRESS_CONFINEMENT: 'tags' } },
    );
    expect(Date.now() - started).toBeLessThan(20_000);
    const result = (JSON.parse(r.stdout).results as ProbeResult[])[0]!;
    expect(result.status).toBe('pass');
    expect(result.notes.join('\n')).toMatch(/still held its output open after it ended, .*it may still be running/);
    const header = await runCli(
      ['run', '--cases', cases, '--case', 'clears-its-environment-3003', '--lwt', 'installed'],
      {
        env: { ...env, LWT_REGRESS_CONFINEMENT: 'tags' },
      },
    );
    expect(header.stderr).toMatch(/processes held by an environment tag/);
    for (const pid of await processesWith('3003')) process.kill(pid, 'SIGKILL');
  }, 60_000);
});

describe('a build that never ends', () => {
  it('a dune rule that hangs: untestable past the build time limit, its processes ended', async () => {
    const project = at('hanging-dune');
    await mkdir(join(project, 'test'), { recursive: true });
    await mkdir(join(project, 'cases', 'slow'), { recursive: true });
    await writeFile(join(project, 'dune-project'), '(lang dune 2.0)\n');
    await writeFile(
      join(project, 'test', 'dune'),
      '(rule (targets slow.ml) (action (progn (run sleep 3020)\n' +
        ' (with-stdout-to slow.ml (echo "let () = print_endline \\"clean: ok\\"")))))\n(executable (name slow))\n',
    );
    await writeFile(
      join(project, 'cases', 'slow', 'case.json'),
      JSON.stringify({
        description: 'slow',
        needs: '*',
        size: { default: 1, meaning: 'n' },
        dune: { root: '../..', target: 'test/slow.exe' },
        expect: [{ lwt: '*', outcome: 'clean' }],
      }),
    );
    const started = Date.now();
    const r = await runCli(['run', '--json', '--cases', join(project, 'cases'), '--timeout', '5'], {
      env: { ...env, LWT_REGRESS_BUILD_TIMEOUT: '3' },
    });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.exitCode, r.stderr).toBe(EXIT.untestable);
    const result = (JSON.parse(r.stdout).results as ProbeResult[])[0]!;
    expect(result.reason).toMatch(/dune build test\/slow\.exe did not finish within 3 s/);
    expect(await processesWith('3020')).toEqual([]);
  }, 60_000);
});

describe("the machine's limits", () => {
  const cli = (limit: string, args: string[]) =>
    execa('prlimit', [limit, '--', process.execPath, CLI, ...args], { env, reject: false, cwd: tmp.path });

  it("a hard core-file limit of 0: cores are taken through gdb, and the verdict is the case's own", async () => {
    const r = await cli('--core=0:0', ['run', '--json', '--case', 'wakeup-chain', '--lwt', 'installed']);
    expect(r.exitCode, r.stderr as string).toBe(EXIT.ok);
    const result = (JSON.parse(r.stdout as string).results as ProbeResult[])[0]!;
    expect(result).toMatchObject({ status: 'pass', capture: 'gdb', observed: { outcome: 'cycle' } });
    const kernel = await cli('--core=0:0', [
      'run',
      '--case',
      'wakeup-chain',
      '--lwt',
      'installed',
      '--capture',
      'kernel',
    ]);
    expect(kernel.exitCode).toBe(EXIT.toolchain);
    expect(kernel.stderr).toMatch(/the hard core-file size limit is 0/);
  }, 120_000);

  it("a --stack above the hard stack limit is the machine's: exit 10, one line, no verdict", async () => {
    const r = await cli('--stack=2097152:2097152', [
      'run',
      '--case',
      'wakeup-chain',
      '--lwt',
      'installed',
      '--stack',
      '4096',
    ]);
    expect(r.exitCode).toBe(EXIT.environment);
    expect(r.stderr).toMatch(
      /the run's limits cannot be set here \(stack 4096 KiB\): the hard stack limit is 2048 KiB/,
    );
    expect(r.stdout).not.toMatch(/FAIL/);
  }, 60_000);
});

describe('output', () => {
  it('a case writing 1 GiB: memory stays bounded, the log keeps both ends, the report says it was cut', async () => {
    const child = execa(
      process.execPath,
      [CLI, 'run', '--json', '--cases', cases, '--case', 'writes-a-gibibyte', '--lwt', 'installed'],
      { env: { ...env }, extendEnv: true, reject: false, cwd: tmp.path },
    );
    let peakKiB = 0;
    const sampler = setInterval(async () => {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
      peakKiB = Math.max(peakKiB, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0));
    }, 25);
    const r = await child;
    clearInterval(sampler);
    const result = (JSON.parse(r.stdout as string).results as ProbeResult[])[0]!;
    // The clean line at the very end was read: the tail of the output is kept.
    expect(result).toMatchObject({ status: 'fail', observed: { outcome: 'clean', summary: 'clean: wrote 1 GiB' } });
    expect(result.notes.join('\n')).toMatch(/output cut: 1073741844 bytes on stdout and 0 on stderr/);
    expect(peakKiB).toBeGreaterThan(0);
    expect(peakKiB).toBeLessThan(300 * 1024);
    const log = join(result.artifacts!, 'log.txt');
    expect((await stat(log)).size).toBeLessThan(1.2 * 1024 * 1024);
    expect(await readFile(log, 'utf8')).toMatch(/bytes of output not kept\]\n[x]*\nclean: wrote 1 GiB/);
  }, 120_000);
});
