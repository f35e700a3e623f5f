/**
 * A full disk or a read-only place is never a verdict about Lwt: on real
 * small tmpfs mounts, a core cut short is untestable (not FAIL), a build
 * that ran out of space is untestable and not remembered, and places that
 * cannot be written are one line with exit 10 (or 2 for a wrong path).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { runCli } from './support/cli.js';
import { makeSourceTree } from './support/lwt-fixtures.js';
import { canMount, fill, mountTmpfs, NEEDS_ROOT, unmount } from './support/tmpfs.js';

let tmp: Awaited<ReturnType<typeof dir>>;
const mounts: string[] = [];
const at = (...parts: string[]) => join(tmp.path, ...parts);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-disk-' });
});
afterAll(async () => {
  for (const m of mounts) await unmount(m);
  await tmp.cleanup();
});

async function tmpfs(name: string, sizeKiB: number, readOnly = false): Promise<string> {
  const where = await mountTmpfs(at(name), sizeKiB, { readOnly });
  mounts.push(where);
  return where;
}

async function run(args: string[], env: Record<string, string>) {
  const r = await runCli(['run', '--json', ...args], { env, cwd: tmp.path });
  const results: ProbeResult[] = r.stdout.startsWith('{') ? JSON.parse(r.stdout).results : [];
  return { ...r, results };
}

function expectOneLine(r: { stderr: string }, pattern: RegExp) {
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^lwt-regress: /);
  expect(lines[0]).toMatch(pattern);
}

describe.skipIf(!canMount)(`a full disk (${NEEDS_ROOT})`, () => {
  it('a core cut short by a full disk is untestable, never FAIL, and says how much space was left', async () => {
    const small = await tmpfs('small-tmp', 1024);
    const r = await run(['--lwt', 'installed', '--case', 'wakeup-chain', '--artifacts', at('artifacts-1')], {
      TMPDIR: small,
      LWT_REGRESS_CACHE: at('cache-1'),
    });
    expect(r.exitCode).toBe(EXIT.untestable);
    expect(r.results[0]).toMatchObject({ status: 'untestable', observed: { outcome: 'no-evidence' } });
    expect(r.results[0]!.reason).toMatch(/SIGSEGV, but its core cannot be read: .*(truncated|corrupt).*KiB free/);
  });

  it('a Lwt build that runs out of space is untestable, not remembered, and built once there is space', async () => {
    const cache = await tmpfs('full-cache', 64 * 1024);
    const pristine = await makeSourceTree(at('lwt-5.6.1'), '5.6.1');
    await fill(cache, 64);
    const args = ['--lwt-src', pristine, '--case', 'mutex-unlock-storm', '--artifacts', at('artifacts-2')];
    const full = await run(args, { LWT_REGRESS_CACHE: cache });
    expect(full.exitCode).toBe(EXIT.untestable);
    expect(full.results[0]!.reason).toMatch(/does not build: .*(No space left on device|ENOSPC)/);
    await rm(join(cache, 'filler'));
    const roomy = await run(args, { LWT_REGRESS_CACHE: cache });
    expect(roomy.exitCode).toBe(EXIT.ok);
    expect(roomy.results[0]).toMatchObject({ status: 'pass', cached: { lwt: false } });
  });
});

describe.skipIf(!canMount)(`places that cannot be written (${NEEDS_ROOT})`, () => {
  it('a cache directory on a read-only file system: exit 10, one line naming the fix', async () => {
    const ro = await tmpfs('ro-cache', 1024, true);
    const r = await run(['--lwt', 'installed', '--case', 'wakeup-chain'], { LWT_REGRESS_CACHE: join(ro, 'cache') });
    expect(r.exitCode).toBe(EXIT.environment);
    expectOneLine(r, /the cache directory .*ro-cache\/cache cannot be written: .*read-only.*LWT_REGRESS_CACHE/);
  });

  it('--artifacts and --html on a read-only file system: exit 10 before anything runs', async () => {
    const ro = await tmpfs('ro-out', 1024, true);
    const env = { LWT_REGRESS_CACHE: at('cache-ro') };
    const artifacts = await run(['--artifacts', join(ro, 'artifacts'), '--case', 'wakeup-chain'], env);
    expect(artifacts.exitCode).toBe(EXIT.environment);
    expectOneLine(artifacts, /the artifacts directory .* cannot be written: .*read-only/);
    const html = await run(['--html', join(ro, 'r.html'), '--case', 'wakeup-chain'], env);
    expect(html.exitCode).toBe(EXIT.environment);
    expectOneLine(html, /--html .* cannot be written: .*read-only/);
  });
});

describe('report and artifact paths that are wrong', () => {
  beforeAll(async () => {
    await mkdir(at('a-directory'), { recursive: true });
    await writeFile(at('a-file'), 'not a directory');
  });

  it.each([
    [['--html', 'a-directory'], /--html a-directory is a directory/],
    [['--markdown', 'a-directory'], /--markdown a-directory is a directory/],
    [
      ['--junit', 'a-file/below.xml'],
      /--junit .*a-file cannot be written: a (part of the path is a file|file is in the way)/,
    ],
    [
      ['--artifacts', 'a-file/below'],
      /the artifacts directory .*a-file\/below cannot be written: a (part of the path is a file|file is in the way)/,
    ],
  ])('%j: exit 2, one line', async (args, message) => {
    const r = await run([...args, '--case', 'wakeup-chain'], { LWT_REGRESS_CACHE: at('cache-paths') });
    expect(r.exitCode).toBe(EXIT.usage);
    expectOneLine(r, message);
  });
});
