/**
 * Answers name commits of the repository as it is now: the mirror lwt-regress
 * keeps of a repository is fetched on every use, so a repository recreated
 * at the same path, or a tag that moved, is never seen as it was.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { runCli } from './support/cli.js';
import { makeCommitHistory, makeGitRepository, makeSourceTree, regressMutexUnlock } from './support/lwt-fixtures.js';

let tmp: Awaited<ReturnType<typeof dir>>;
let env: Record<string, string>;
const at = (...parts: string[]) => join(tmp.path, ...parts);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-refresh-' });
  env = { LWT_REGRESS_CACHE: at('cache') };
});
afterAll(() => tmp.cleanup());

async function firstBad(repo: string): Promise<string> {
  const r = await runCli(
    [
      'bisect',
      '--commits',
      '--json',
      '--lwt-git',
      repo,
      '--case',
      'mutex-unlock-storm',
      '--good',
      'v-good',
      '--bad',
      'v-bad',
    ],
    { env, cwd: tmp.path },
  );
  expect(r.exitCode, r.stderr).toBe(EXIT.ok);
  return JSON.parse(r.stdout).firstBad.commit;
}

describe('a repository recreated at the same path', () => {
  it('is bisected as it is now, and the answer is one of its commits', async () => {
    const repo = at('lwt');
    const before = await makeCommitHistory(repo);
    expect(await firstBad(repo)).toBe(before[4]);

    await rm(repo, { recursive: true, force: true });
    const after = await makeGitRepository(repo, [
      { message: 'another release', tag: 'v-good', apply: async (t) => void (await makeSourceTree(t, '5.6.1')) },
      { message: 'the regression, earlier this time', apply: regressMutexUnlock },
      { message: 'more', tag: 'v-bad', apply: async () => undefined },
    ]);
    const answer = await firstBad(repo);
    expect(answer).toBe(after[1]);
    expect(before).not.toContain(answer);
    expect((await execa('git', ['-C', repo, 'cat-file', '-t', answer])).stdout).toBe('commit');
  }, 240_000);
});

describe('a tag that moved', () => {
  it('is read where it points now', async () => {
    const repo = at('moving');
    const commits = await makeGitRepository(repo, [
      { message: 'release', apply: async (t) => void (await makeSourceTree(t, '5.6.1')) },
      { message: 'regression', apply: regressMutexUnlock },
    ]);
    const probe = async () => {
      const r = await runCli(
        ['run', '--json', '--lwt-git', repo, '--lwt', 'candidate', '--case', 'mutex-unlock-storm'],
        {
          env,
          cwd: tmp.path,
        },
      );
      return JSON.parse(r.stdout).results[0];
    };
    await execa('git', ['-C', repo, 'tag', 'candidate', commits[0]!]);
    expect(await probe()).toMatchObject({ status: 'pass', lwt: { commit: commits[0] } });
    await execa('git', ['-C', repo, 'tag', '--force', 'candidate', commits[1]!]);
    expect(await probe()).toMatchObject({ status: 'fail', lwt: { commit: commits[1] } });
  }, 120_000);
});
