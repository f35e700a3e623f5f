/**
 * Lwt versions made at test time from Debian's source package of Lwt 5.6.1
 * (`lwt_5.6.1.orig.tar.gz`, which ./setup downloads into test/fixtures/debian/
 * with `apt-get source`): its core (src/core/) and lwt.unix with its C stubs
 * (src/unix/, src/unix/unix_c/), as source trees, a regressed variant, a local
 * opam repository and a git repository. Nothing of Lwt is committed to this project.
 */
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../../src/paths.js';

/** Debian's tarball of the Lwt 5.6.1 sources. */
export const LWT_TARBALL = join(projectRoot(), 'test', 'fixtures', 'debian', 'lwt_5.6.1.orig.tar.gz');

/** A Lwt source tree laid out like the upstream repository: src/core/, src/unix/ and lwt.opam with its version. */
export async function makeSourceTree(dest: string, version: string): Promise<string> {
  await access(LWT_TARBALL).catch(() => {
    throw new Error(`${LWT_TARBALL} is missing: run ./setup (it downloads Debian's source package of lwt)`);
  });
  await mkdir(dest, { recursive: true });
  await execa('tar', [
    '-xzf',
    LWT_TARBALL,
    '-C',
    dest,
    '--strip-components=1',
    '--wildcards',
    '*/src/core',
    '*/src/unix',
  ]);
  await writeFile(join(dest, 'lwt.opam'), `opam-version: "2.0"\nversion: "${version}"\n`);
  return dest;
}

/** Edits one file of a tree, failing loudly if the text to replace is not there (so a changed Lwt cannot make the fixture silently pristine). */
export async function patchTree(tree: string, file: string, from: string, to: string): Promise<void> {
  const path = join(tree, 'src', file.includes('/') ? '' : 'core', file);
  const text = await readFile(path, 'utf8');
  if (!text.includes(from)) throw new Error(`fixture patch: ${file} no longer contains ${JSON.stringify(from)}`);
  await writeFile(path, text.replace(from, to));
}

/** The historic Lwt 2.3.0 behaviour: Lwt_mutex.unlock wakes the next waiter with Lwt.wakeup. */
export async function regressMutexUnlock(tree: string): Promise<void> {
  await patchTree(
    tree,
    'lwt_mutex.ml',
    'Lwt.wakeup_later (Lwt_sequence.take_l m.waiters) ()',
    'Lwt.wakeup (Lwt_sequence.take_l m.waiters) ()',
  );
}

const OPAM_ENV = { OPAMROOTISOK: '1', OPAMYES: '1', OPAMCOLOR: 'never' };

/**
 * A local file:// opam repository with one lwt.V package per tree (a tarball
 * made here, with its checksum), an opam root initialised against it, and an
 * empty switch, which `opam source` needs.
 */
export async function makeOpamRepository(
  dir: string,
  packages: { version: string; tree: string }[],
): Promise<{ root: string; repo: string }> {
  const repo = join(dir, 'repo');
  await mkdir(repo, { recursive: true });
  await writeFile(join(repo, 'repo'), 'opam-version: "2.0"\n');
  for (const { version, tree } of packages) {
    const tarball = join(dir, `lwt-${version}.tar.gz`);
    await execa('tar', ['-czf', tarball, '-C', tree, '.']);
    const sha256 = createHash('sha256')
      .update(await readFile(tarball))
      .digest('hex');
    const pkg = join(repo, 'packages', 'lwt', `lwt.${version}`);
    await mkdir(pkg, { recursive: true });
    await writeFile(
      join(pkg, 'opam'),
      `opam-version: "2.0"\nsynopsis: "Lwt fixture made by lwt-regress's tests"\nurl {\n  src: "file://${tarball}"\n  checksum: "sha256=${sha256}"\n}\n`,
    );
  }
  const root = join(dir, 'root');
  await execa('opam', ['init', '--bare', '--no-setup', '--disable-sandboxing', '--root', root, 'fixture', repo], {
    env: OPAM_ENV,
  });
  await execa('opam', ['switch', 'create', '--root', root, 'fixture', '--empty'], { env: OPAM_ENV });
  return { root, repo };
}

async function git(cwd: string, args: string[]) {
  return (
    await execa('git', ['-c', 'user.name=lwt-regress tests', '-c', 'user.email=tests@lwt-regress.invalid', ...args], {
      cwd,
    })
  ).stdout.trim();
}

/** A git repository whose history is the given trees, one commit each, with optional tags; returns the commits. */
export async function makeGitRepository(
  dir: string,
  commits: { message: string; apply: (tree: string) => Promise<void>; tag?: string }[],
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  await git(dir, ['init', '--quiet', '--initial-branch=main']);
  const shas: string[] = [];
  for (const c of commits) {
    await c.apply(dir);
    await git(dir, ['add', '--all']);
    await git(dir, ['commit', '--quiet', '--allow-empty', '-m', c.message]);
    if (c.tag) await git(dir, ['tag', c.tag]);
    shas.push(await git(dir, ['rev-parse', 'HEAD']));
  }
  return shas;
}

/** The fixture series bisect is tested and measured on: 32 versions, the regression entering at f20, f15 not building (the first midpoint). */
export const SERIES = {
  count: 32,
  regressesAt: 20,
  broken: 15,
  label: (i: number) => `5.6.1-f${String(i).padStart(2, '0')}`,
};

export async function makeVersionSeries(dir: string): Promise<{ root: string; versions: string[] }> {
  const packages = [];
  for (let i = 0; i < SERIES.count; i++) {
    const version = SERIES.label(i);
    const tree = await makeSourceTree(join(dir, 'series', version), version);
    if (i >= SERIES.regressesAt) await regressMutexUnlock(tree);
    if (i === SERIES.broken)
      await patchTree(tree, 'lwt_mutex.ml', 'let unlock m =', 'let unlock m = this_does_not_compile;');
    packages.push({ version, tree });
  }
  const { root } = await makeOpamRepository(join(dir, 'opam'), packages);
  return { root, versions: packages.map((p) => p.version) };
}

/**
 * A Lwt history for commit bisects: a release (tag v-good), a harmless change,
 * a commit that breaks the build and one that repairs it, the regression,
 * two more harmless changes (tag v-bad), and the fix (tag v-fixed).
 * Returns the commits in order; the regression is the fifth.
 */
export async function makeCommitHistory(repo: string): Promise<string[]> {
  const touch = (n: number) => async (t: string) => patchTree(t, 'lwt_switch.ml', '(*', `(* touched ${n} *)\n(*`);
  return makeGitRepository(repo, [
    { message: 'release 5.6.1', tag: 'v-good', apply: async (t) => void (await makeSourceTree(t, '5.6.1')) },
    { message: 'touch 1', apply: touch(1) },
    {
      message: 'break the build',
      apply: (t) => patchTree(t, 'lwt_mutex.ml', 'let unlock m =', 'let unlock m = broken_on_purpose;'),
    },
    {
      message: 'fix the build',
      apply: (t) => patchTree(t, 'lwt_mutex.ml', 'let unlock m = broken_on_purpose;', 'let unlock m ='),
    },
    { message: 'Lwt_mutex.unlock: wake the next waiter at once', apply: regressMutexUnlock },
    { message: 'touch 2', apply: touch(2) },
    { message: 'touch 3', tag: 'v-bad', apply: touch(3) },
    {
      message: 'Lwt_mutex.unlock: back to wakeup_later',
      tag: 'v-fixed',
      apply: (t) =>
        patchTree(
          t,
          'lwt_mutex.ml',
          'Lwt.wakeup (Lwt_sequence.take_l m.waiters) ()',
          'Lwt.wakeup_later (Lwt_sequence.take_l m.waiters) ()',
        ),
    },
  ]);
}
