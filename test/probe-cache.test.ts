/**
 * The verdict cache: a verdict is reused only for the same Lwt build, the
 * same case program and manifest, and the same limits and policy. An edited
 * case must never be judged by its old verdict.
 */
import { cp, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCases } from '../src/cases/load-cases.js';
import { buildLwt } from '../src/lwt/lwt-build.js';
import { resolveLwt } from '../src/lwt/resolve.js';
import { projectRoot } from '../src/paths.js';
import type { ProbeSettings } from '../src/probe/probe.js';
import { cachedProbe } from '../src/probe/probe-cache.js';
import { findToolchain } from '../src/toolchain/ocamlfind.js';
import { makeCasesDir } from './support/case-dir.js';
import { CLI } from './support/cli.js';

let tmp: Awaited<ReturnType<typeof dir>>;
const previous = process.env.LWT_REGRESS_CACHE;
const at = (...parts: string[]) => join(tmp.path, ...parts);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-probe-cache-' });
  process.env.LWT_REGRESS_CACHE = at('cache');
});
afterAll(async () => {
  if (previous === undefined) delete process.env.LWT_REGRESS_CACHE;
  else process.env.LWT_REGRESS_CACHE = previous;
  await tmp.cleanup();
});

describe('the verdict cache', () => {
  it('reuses a verdict for the same case, and judges an edited case again', async () => {
    const cases = await makeCasesDir(at('cases'), [
      { name: 'edited', program: 'let () = print_endline "clean: v1"\n' },
    ]);
    const toolchain = await findToolchain();
    const source = await resolveLwt({ spec: 'installed' }, toolchain);
    const lwt = await buildLwt(source, toolchain);
    const settings: ProbeSettings = { stackKiB: 1024, capture: 'auto', timeoutMs: 60_000, artifactsDir: at('a') };
    const probe = async () => cachedProbe(toolchain, source, lwt, (await loadCases([cases])).cases[0]!, settings);

    expect(await probe()).toMatchObject({ status: 'pass', reused: false, observed: { summary: 'clean: v1' } });
    expect(await probe()).toMatchObject({ status: 'pass', reused: true });
    await writeFile(join(cases, 'edited', 'case.ml'), 'let () = print_endline "clean: v2"\n');
    expect(await probe()).toMatchObject({ reused: false, observed: { summary: 'clean: v2' } });
    // The limits and the policy are part of the question too.
    expect(
      await cachedProbe(toolchain, source, lwt, (await loadCases([cases])).cases[0]!, { ...settings, stackKiB: 2048 }),
    ).toMatchObject({ reused: false });
    expect(
      await cachedProbe(toolchain, source, lwt, (await loadCases([cases])).cases[0]!, {
        ...settings,
        policy: 'no-overflow',
      }),
    ).toMatchObject({ reused: false });
  });
});

describe('an upgrade of lwt-regress in place', () => {
  it('never replays the verdicts its old code reached', async () => {
    // A copy of the built tool, whose judge is then changed where it stands, as a git pull or npm update would.
    const tool = at('tool');
    for (const part of ['dist', 'ocaml-cases', 'package.json'])
      await cp(join(projectRoot(), part), join(tool, part), { recursive: true });
    await symlink(join(projectRoot(), 'node_modules'), join(tool, 'node_modules'));
    const cli = join(tool, CLI.slice(projectRoot().length));
    const gate = () =>
      execa(
        process.execPath,
        [cli, 'gate', '--json', '--baseline', 'installed', '--candidate', 'installed', '--case', 'wakeup-chain'],
        { env: { LWT_REGRESS_CACHE: at('cache-upgrade') }, reject: false },
      );
    expect((await gate()).exitCode).toBe(0);
    const verdict = join(tool, 'dist', 'src', 'probe', 'verdict.js');
    const code = await readFile(verdict, 'utf8');
    await writeFile(
      verdict,
      code.replace('export function judge(expectation, observed) {', "$&\n    return { met: false, why: 'NEW' };"),
    );
    const upgraded = await gate();
    expect(upgraded.exitCode, upgraded.stdout).toBe(1);
    expect(JSON.parse(upgraded.stdout).rows[0].candidate.reason).toMatch(/NEW/);
  }, 120_000);
});
