import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { bisectRange, versionList } from '../src/bisect/version-list.js';
import { digest } from '../src/cache/digest.js';
import { EXIT, UserError } from '../src/errors.js';
import { UPSTREAM_LWT } from '../src/lwt/git.js';
import { refusal } from './support/refusal.js';

describe('the versions to bisect', () => {
  it('are ordered as versions, not as strings (2.9 before 2.10), each once', async () => {
    const { entries } = await versionList({ versions: ['2.10.0', '2.9.0', 'v2.9.1', '2.9', '2.10.0'] });
    expect(entries.map((e) => e.version)).toEqual(['2.9.0', '2.9.1', '2.10.0']);
  });

  it('are cut between the two ends, which must be in the list and in order', async () => {
    const { entries, from } = await versionList({ versions: ['2.2.0', '2.3.0', '2.3.1', '2.4.0', '2.10.0'] });
    expect(bisectRange(entries, from, '2.3.0', '2.10.0', false).map((e) => e.version)).toEqual([
      '2.3.0',
      '2.3.1',
      '2.4.0',
      '2.10.0',
    ]);
    expect(() => bisectRange(entries, from, '2.10.0', '2.3.0', false)).toThrow();
    expect(() => bisectRange(entries, from, '9.9.9', '2.3.0', false)).toThrow(/9\.9\.9 is not among/);
  });
});

describe('bad ends and lists', () => {
  it('a given version that is no version is a usage error naming it', async () => {
    await expect(versionList({ versions: ['2.3.0', 'tuesday'] })).rejects.toMatchObject({
      message: "--versions: 'tuesday' is not a version",
      exitCode: EXIT.usage,
      fix: 'List versions such as 2.3.0,2.3.1',
    });
  });

  it('each version once, under the spelling it was first given', async () => {
    const { entries, from } = await versionList({ versions: ['v2.9.1', '2.9.1', 'lwt-2.10', '2.8.0'] });
    expect(from).toBe('--versions');
    expect(entries).toEqual([
      { spec: '2.8.0', version: '2.8.0' },
      { spec: 'v2.9.1', version: '2.9.1' },
      { spec: 'lwt-2.10', version: '2.10.0' },
    ]);
  });

  it('the same version at both ends, an end not in the list, or the ends the wrong way round', async () => {
    const { entries, from } = await versionList({ versions: ['2.2.0', '2.3.0', '2.3.1', '2.4.0'] });
    const same = refusal(() => bisectRange(entries, from, 'v2.3.0', '2.3', false));
    expect(same.message).toBe('--good and --bad are the same version (2.3.0)');
    expect(same.exitCode).toBe(EXIT.usage);
    const missing = refusal(() => bisectRange(entries, from, '2.3.0', '9.0.0', false));
    expect(missing.message).toBe('--bad 9.0.0 is not among the Lwt versions of --versions');
    expect(missing.fix).toBe('Pick one of: 2.2.0, 2.3.0, 2.3.1, 2.4.0');
    expect(refusal(() => bisectRange(entries, from, 'soon', '2.3.0', false)).message).toBe(
      '--good soon is not among the Lwt versions of --versions',
    );
    expect(refusal(() => bisectRange(entries, from, '2.4.0', '2.3.0', false)).message).toBe(
      '--good 2.4.0 is newer than --bad 2.3.0',
    );
    expect(refusal(() => bisectRange(entries, from, '2.3.0', '2.4.0', true)).message).toBe(
      'with --find-fix, --bad 2.4.0 (still crashing) must be older than --good 2.3.0 (fixed)',
    );
  });

  it('each wrong pair of ends says how to put it right', async () => {
    const { entries, from } = await versionList({ versions: ['2.2.0', '2.3.0', '2.4.0'] });
    expect(refusal(() => bisectRange(entries, from, '2.3.0', '2.3.0', true)).fix).toBe(
      'Give a version where the case runs clean and one where it crashes',
    );
    expect(refusal(() => bisectRange(entries, from, '2.4.0', '2.2.0', false)).fix).toBe(
      'To find the version that fixed a crash, add --find-fix; otherwise swap them',
    );
    expect(refusal(() => bisectRange(entries, from, '2.2.0', '2.4.0', true)).fix).toBe(
      'Swap them, or drop --find-fix to look for a regression',
    );
  });

  it('looking for the fix, the range runs from the crashing end to the fixed one', async () => {
    const { entries, from } = await versionList({ versions: ['2.2.0', '2.3.0', '2.3.1', '2.4.0'] });
    expect(bisectRange(entries, from, '2.4.0', '2.3.0', true).map((e) => e.version)).toEqual([
      '2.3.0',
      '2.3.1',
      '2.4.0',
    ]);
    expect(bisectRange(entries, from, '2.2.0', '2.3.0', false).map((e) => e.version)).toEqual(['2.2.0', '2.3.0']);
  });

  it('names the first forty versions to pick from, and says when there are more', async () => {
    const many = Array.from({ length: 41 }, (_, i) => `1.${i}.0`);
    const { entries, from } = await versionList({ versions: many });
    const error = refusal(() => bisectRange(entries, from, '1.0.0', '9.9.9', false));
    expect(error.fix).toBe(`Pick one of: ${many.slice(0, 40).join(', ')}, …`);
    const forty = await versionList({ versions: many.slice(0, 40) });
    expect(refusal(() => bisectRange(forty.entries, forty.from, '1.0.0', '9.9.9', false)).fix).toBe(
      `Pick one of: ${many.slice(0, 40).join(', ')}`,
    );
  });
});

describe('the versions of a git repository', () => {
  let tmp: Awaited<ReturnType<typeof dir>>;
  const previous = process.env.LWT_REGRESS_CACHE;
  beforeAll(async () => {
    tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-version-list-' });
    process.env.LWT_REGRESS_CACHE = join(tmp.path, 'cache');
  });
  afterAll(async () => {
    if (previous === undefined) delete process.env.LWT_REGRESS_CACHE;
    else process.env.LWT_REGRESS_CACHE = previous;
    await tmp.cleanup();
  });

  it('are its tags that name versions, oldest first, each under its tag', async () => {
    const repo = join(tmp.path, 'repo');
    const git = (...args: string[]) =>
      execa('git', ['-C', repo, ...args], {
        env: { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
      });
    await execa('git', ['init', '-q', repo]);
    await git('commit', '-q', '--allow-empty', '-m', 'one');
    for (const tag of ['2.10.0', 'v2.9.0', 'release-candidate', '2.9.1']) await git('tag', tag);
    const { entries, from } = await versionList({ git: repo, versions: [] });
    expect(from).toBe(`the tags of ${repo}`);
    expect(entries).toEqual([
      { spec: 'v2.9.0', version: '2.9.0' },
      { spec: '2.9.1', version: '2.9.1' },
      { spec: '2.10.0', version: '2.10.0' },
    ]);
  });
});

describe('no list to bisect over', () => {
  const saved = { ...process.env };
  let tmp: Awaited<ReturnType<typeof dir>>;
  beforeAll(async () => {
    tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-no-versions-' });
  });
  afterAll(async () => {
    process.env = saved;
    await tmp.cleanup();
  });

  it('neither opam nor the upstream repository: one usage error naming both, and what to give instead', async () => {
    process.env.LWT_REGRESS_CACHE = join(tmp.path, 'cache');
    // git refuses https at once: the upstream repository cannot be reached, as offline.
    process.env.GIT_ALLOW_PROTOCOL = 'file';
    const error = await versionList({ opamRoot: join(tmp.path, 'no-opam-root') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({
      exitCode: EXIT.usage,
      message: expect.stringMatching(
        /^no list of Lwt versions to bisect: .+, and https:\/\/github\.com\/ocsigen\/lwt\.git cannot be reached$/,
      ),
      fix: 'Give them with --versions a,b,c, or name a repository with --lwt-git or an opam root with --opam-root',
    });
  });
});

describe('the versions opam knows, or else the upstream tags', () => {
  const saved = { ...process.env };
  let tmp: Awaited<ReturnType<typeof dir>>;
  beforeAll(async () => {
    tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-opam-versions-' });
  });
  afterEach(() => {
    process.env = { ...saved };
  });
  afterAll(() => tmp.cleanup());

  /**
   * A place of its own for one test: its cache, and first on PATH an `opam` running `script` (sh) for
   * `opam show [--root R] lwt --field=all-versions`. git refuses https at once there: the upstream
   * repository cannot be reached, as offline.
   */
  async function withOpam(name: string, script: string): Promise<string> {
    const home = join(tmp.path, name);
    await mkdir(join(home, 'bin'), { recursive: true });
    await writeFile(join(home, 'bin', 'opam'), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    process.env.PATH = `${join(home, 'bin')}:${saved.PATH}`;
    process.env.LWT_REGRESS_CACHE = join(home, 'cache');
    process.env.GIT_ALLOW_PROTOCOL = 'file';
    return home;
  }

  // `$2` is `--root` when a root is named: the root given knows other versions than the default one.
  const rootOrDefault = 'if [ "$2" = --root ]; then echo "2.10.0 2.3.0~beta1 2.3.0"; else echo 9.9.9; fi';

  it('come from the opam root given, each under its opam spelling, and the list says which root', async () => {
    const home = await withOpam('root', rootOrDefault);
    const root = join(home, 'opam-root');
    expect(await versionList({ opamRoot: root })).toEqual({
      entries: [
        { spec: 'opam:2.3.0~beta1', version: '2.3.0-beta1' },
        { spec: 'opam:2.3.0', version: '2.3.0' },
        { spec: 'opam:2.10.0', version: '2.10.0' },
      ],
      from: `opam (root ${root})`,
    });
  });

  it("without a root, come from opam's default one, and the list says opam alone", async () => {
    await withOpam('default', rootOrDefault);
    expect(await versionList({})).toEqual({ entries: [{ spec: 'opam:9.9.9', version: '9.9.9' }], from: 'opam' });
  });

  it('an opam that knows no lwt versions, the upstream repository out of reach: a usage error saying so', async () => {
    const home = await withOpam('none', 'exit 0');
    await expect(versionList({ opamRoot: join(home, 'opam-root') })).rejects.toMatchObject({
      message: `no list of Lwt versions to bisect: opam knows no lwt versions, and ${UPSTREAM_LWT} cannot be reached`,
      exitCode: EXIT.usage,
    });
  });

  it('with no opam to ask, come from the tags of the upstream repository as last fetched', async () => {
    const home = await withOpam('upstream', 'echo "[ERROR] Opam has not been initialised" >&2; exit 50');
    const env = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
    const repo = join(home, 'lwt');
    await execa('git', ['init', '-q', repo]);
    await execa('git', ['-C', repo, 'commit', '-q', '--allow-empty', '-m', 'one'], { env });
    for (const tag of ['5.6.1', 'v2.3.0']) await execa('git', ['-C', repo, 'tag', tag]);
    // Where the cache keeps its mirror of the upstream repository: fetching it fails offline, its tags stay.
    const mirror = join(home, 'cache', 'git', `${digest(UPSTREAM_LWT).slice(0, 16)}.git`);
    await execa('git', ['clone', '-q', '--bare', repo, mirror]);
    // A module fresh from this test: the upstream mirror is looked at once per process, and other tests find none.
    vi.resetModules();
    const fresh = await import('../src/bisect/version-list.js');
    expect(await fresh.versionList({})).toEqual({
      entries: [
        { spec: 'v2.3.0', version: '2.3.0' },
        { spec: '5.6.1', version: '5.6.1' },
      ],
      from: `the tags of ${UPSTREAM_LWT}`,
    });
  });
});
