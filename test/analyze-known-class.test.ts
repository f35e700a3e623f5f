/**
 * `lwt-regress analyze` naming the known overflow of a real core: a program
 * that is not one of the cases (a journal service with its own closures,
 * taking an Lwt_mutex through Lwt_mutex.with_lock and by hand) built against
 * Debian's Lwt 5.6.1 with Lwt_mutex.unlock regressed to Lwt.wakeup, crashed
 * under a 1 MiB stack; and the global setup's cores, one of no known class.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeRegressedTree } from '../src/fixtures/lwt-fixtures.js';
import { buildLwt } from '../src/lwt/lwt-build.js';
import { projectRoot } from '../src/paths.js';
import { runUnderLimits } from '../src/run/run-under-limits.js';
import { findToolchain, type Toolchain, toolCommand } from '../src/toolchain/ocamlfind.js';
import { runCli } from './support/cli.js';
import { STUB } from './support/fixtures.js';

const crashes = inject('crashes');
const SERVICE = join(projectRoot(), 'test', 'fixtures', 'journal_service.ml');
const REQUESTS = '100000';

let tmp: Awaited<ReturnType<typeof dir>>;
let toolchain: Toolchain;
const at = (...parts: string[]) => join(tmp.path, ...parts);

/** The service built in its own directory, against the Lwt that OCAMLPATH names first (the installed one without). */
async function buildService(workDir: string, env: Record<string, string> = {}): Promise<string> {
  await mkdir(workDir, { recursive: true });
  await copyFile(STUB, join(workDir, 'lwtr_stubs.c'));
  await copyFile(SERVICE, join(workDir, 'journal_service.ml'));
  const [file, args] = toolCommand(toolchain, 'ocamlfind', [
    'ocamlopt',
    '-g',
    '-package',
    'lwt',
    '-linkpkg',
    'lwtr_stubs.c',
    'journal_service.ml',
    '-o',
    'journal_service',
  ]);
  await execa(file, args, { cwd: workDir, env });
  return join(workDir, 'journal_service');
}

const runService = (executable: string, cwd: string) =>
  runUnderLimits({ executable, args: [REQUESTS], cwd, stackKiB: 1024, timeoutMs: 120_000, capture: 'auto' });

let service: { executable: string; core: string };

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-known-class-' });
  toolchain = await findToolchain();
  const regressed = await makeRegressedTree(at('lwt-regressed'));
  // The Lwt build goes to this test's own cache: cacheRoot() reads the variable at each call.
  const saved = process.env.LWT_REGRESS_CACHE;
  process.env.LWT_REGRESS_CACHE = at('cache');
  const built = await buildLwt(
    { origin: 'dir', version: '5.6.1', label: '5.6.1 (dir regressed)', dir: regressed, reproduce: [] },
    toolchain,
  ).finally(() => {
    if (saved === undefined) delete process.env.LWT_REGRESS_CACHE;
    else process.env.LWT_REGRESS_CACHE = saved;
  });
  if (!built.ok) throw new Error(`the regressed Lwt did not build: ${built.error}`);
  const executable = await buildService(at('regressed'), { OCAMLPATH: built.build.findlibPath! });
  const run = await runService(executable, at('regressed'));
  if (!run.core) throw new Error(`the service left no core: exit ${run.exitCode}, ${run.signal}: ${run.stdout}`);
  service = { executable, core: run.core };
}, 300_000);
afterAll(() => tmp?.cleanup());

const analyze = (executable: string, core: string, extra: string[] = [], cwd?: string) =>
  runCli(['analyze', executable, core, ...extra], cwd ? { cwd } : {});

describe('analyze names the known overflow of a production core', () => {
  it('the service built against the installed Lwt 5.6.1 serves every request: the regression overflows', async () => {
    const executable = await buildService(at('installed'));
    const run = await runService(executable, at('installed'));
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(`served ${REQUESTS} of ${REQUESTS} requests`);
  });

  it("a service's core, cycling through Lwt_mutex.with_lock on a regressed Lwt, is mutex-unlock-storm", async () => {
    const r = await analyze(service.executable, service.core);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Stack overflow with a recurring call cycle/);
    // Its cycle: Lwt's frames, with_lock's closure and the service's own finaliser.
    expect(r.stdout).toMatch(/^ {6}Lwt_mutex\.<fun> /m);
    expect(r.stdout).toMatch(/^ {6}Journal_service\.<fun> .* journal_service\.ml:\d+$/m);
    expect(r.stdout).not.toMatch(/Case\./);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(
      '  Known overflow: matches mutex-unlock-storm: the 2011 mutex hand-off (Lwt_mutex.unlock through Lwt.wakeup), ' +
        'present in Lwt >=2.0.0 <2.3.1, fixed in 2.3.1 (by its signature Lwt_mutex alone: its Lwt frames are those ' +
        'of no version the case overflows on); also consistent with: io-map-tower, map-tower, wakeup-chain',
    );
    const json = JSON.parse((await analyze(service.executable, service.core, ['--json'])).stdout);
    expect(json.knownClass).toMatchObject({ status: 'match', casesCompared: 8 });
    expect(json.knownClass.candidates[0]).toEqual({
      case: 'mutex-unlock-storm',
      title: 'the 2011 mutex hand-off (Lwt_mutex.unlock through Lwt.wakeup)',
      presentIn: '>=2.0.0 <2.3.1',
      fixedIn: '2.3.1',
      signature: ['Lwt_mutex'],
      expectation: null,
      specificity: 1,
      best: true,
    });
    // The resolution loop's frames are there too, shared by three cases that were never fixed.
    expect(json.knownClass.candidates.slice(1)).toEqual([
      expect.objectContaining({
        case: 'io-map-tower',
        best: false,
        expectation: expect.objectContaining({ lwt: '>=3.2.0' }),
      }),
      expect.objectContaining({ case: 'map-tower', best: false }),
      expect.objectContaining({ case: 'wakeup-chain', best: false }),
    ]);
  });

  it('a plain recursion has no known class', async () => {
    const { executable, core } = crashes['self-recursion']!;
    const r = await analyze(executable, core);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(
      '  Known overflow: no known class (the cycle matches none of the 8 cases)',
    );
    const json = JSON.parse((await analyze(executable, core, ['--json'])).stdout);
    expect(json.knownClass).toEqual({ status: 'none', casesCompared: 8, candidates: [] });
  });

  it('a wakeup chain on the installed Lwt: three cases share its frames, and all three are named', async () => {
    const { executable, core } = crashes['wakeup-chain']!;
    const json = JSON.parse((await analyze(executable, core, ['--json'])).stdout);
    expect(json.knownClass.status).toBe('ambiguous');
    expect(json.knownClass.candidates.map((c: { case: string; best: boolean }) => [c.case, c.best])).toEqual([
      ['io-map-tower', true],
      ['map-tower', true],
      ['wakeup-chain', true],
    ]);
    const line = (await analyze(executable, core)).stdout.trimEnd().split('\n').at(-1)!;
    expect(line).toMatch(/^ {2}Known overflow: matches one of 3 equally specific cases: io-map-tower: /);
    expect(line).toMatch(
      '; wakeup-chain: a chain of callbacks each waking the next with Lwt.wakeup, present in Lwt >=2.0.0, not fixed ' +
        '(by Lwt.resolve, Lwt.run_in_resolution_loop, Lwt.iter_callback_list as on Lwt >=3.2.0)',
    );
  });

  it('a core without a cycle is compared with nothing', async () => {
    const { executable, core } = crashes['null-write']!;
    const r = await analyze(executable, core);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/Known overflow/);
    expect(JSON.parse((await analyze(executable, core, ['--json'])).stdout).knownClass).toBeNull();
  });

  it("--cases, or the project file's cases, replace the built-in ones; a broken case is left out, named", async () => {
    const cases = at('project', 'lwt-cases');
    await mkdir(join(cases, 'deep-recursion'), { recursive: true });
    await writeFile(join(cases, 'deep-recursion', 'case.ml'), 'let () = ()\n');
    await writeFile(
      join(cases, 'deep-recursion', 'case.json'),
      JSON.stringify({
        title: 'a counter that recursed before 1.2.0',
        description: 'the project counts recursively',
        needs: '*',
        size: { default: 1, meaning: 'n' },
        expect: [
          { lwt: '<1.2.0', outcome: 'cycle', frames: ['Self_recursion.count'] },
          { lwt: '>=1.2.0', outcome: 'clean' },
        ],
      }),
    );
    await mkdir(join(cases, 'broken'), { recursive: true });
    await writeFile(join(cases, 'broken', 'case.ml'), 'let () = ()\n');
    await writeFile(join(cases, 'broken', 'case.json'), '{ "description": 3 }');
    const expected =
      '  Known overflow: matches deep-recursion: a counter that recursed before 1.2.0, present in Lwt <1.2.0, ' +
      'fixed in 1.2.0 (by Self_recursion.count as on Lwt <1.2.0)';
    const { executable, core } = crashes['self-recursion']!;
    const flag = await analyze(executable, core, ['--cases', cases]);
    expect(flag.exitCode, flag.stderr).toBe(0);
    expect(flag.stdout.trimEnd().split('\n').at(-1)).toBe(expected);
    expect(flag.stderr).toMatch(/^lwt-regress: case broken left out of the known-class match: .*"description"/m);
    await writeFile(at('project', 'lwt-regress.json'), JSON.stringify({ cases: ['lwt-cases'] }));
    await mkdir(at('project', 'src'), { recursive: true });
    const project = await analyze(executable, core, [], at('project', 'src'));
    expect(project.stdout.trimEnd().split('\n').at(-1)).toBe(expected);
  });
});
