import { mkdir, rename, rm } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { execa } from 'execa';
import { digest } from '../cache/digest.js';
import { isComplete, publishDir, stagingFor } from '../cache/publish.js';
import { exists } from '../io/exists.js';
import { cacheRoot } from '../paths.js';
import { treeVersion } from './tree-version.js';
import { normalizeVersion } from './version.js';

export const UPSTREAM_LWT = 'https://github.com/ocsigen/lwt.git';

const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true' };

export type GitLookup =
  | { ok: true; dir: string; commit: string; version: string | undefined }
  | { ok: false; why: string };

function isLocal(url: string): boolean {
  return isAbsolute(url) || url.startsWith('.') || url.startsWith('file://');
}

async function git(args: string[]) {
  return execa('git', args, { reject: false, env: GIT_ENV, timeout: 300_000 });
}

const firstLine = (r: { stderr: unknown; shortMessage?: string }) =>
  String(r.stderr || r.shortMessage || '')
    .split('\n')
    .find((l) => l.trim()) ?? 'failed';

/** A bare mirror of the repository in the cache; local repositories are re-fetched every time (cheap, and they change). */
export async function mirror(url: string): Promise<{ ok: true; dir: string } | { ok: false; why: string }> {
  const source = isLocal(url) && !url.startsWith('file://') ? resolve(url) : url;
  const dir = join(cacheRoot(), 'git', `${digest(source).slice(0, 16)}.git`);
  if (!(await exists(dir))) {
    await mkdir(join(cacheRoot(), 'git'), { recursive: true });
    const staging = stagingFor(dir);
    const r = await git(['clone', '--bare', '--quiet', source, staging]);
    if (r.exitCode !== 0) {
      await rm(staging, { recursive: true, force: true });
      return { ok: false, why: `cannot clone ${url}: ${firstLine(r)}` };
    }
    await rename(staging, dir).catch(() => rm(staging, { recursive: true, force: true }));
  } else if (isLocal(url)) {
    await fetch(dir);
  }
  return { ok: true, dir };
}

async function fetch(dir: string) {
  return git(['--git-dir', dir, 'fetch', '--quiet', '--prune', '--tags', 'origin', '+refs/heads/*:refs/heads/*']);
}

export async function resolveRef(dir: string, ref: string): Promise<string | undefined> {
  const version = normalizeVersion(ref);
  const candidates = version ? [ref, `v${ref}`, `lwt-${ref}`, version, `v${version}`] : [ref];
  for (const c of candidates) {
    const r = await git(['--git-dir', dir, 'rev-parse', '--verify', '--quiet', `${c}^{commit}`]);
    if (r.exitCode === 0) return (r.stdout as string).trim();
  }
  return undefined;
}

/** The tree of `ref` (a version tag, a tag, a branch or a commit) of a git repository, extracted into the cache. */
export async function gitSource(url: string, ref: string): Promise<GitLookup> {
  const m = await mirror(url);
  if (!m.ok) return m;
  let commit = await resolveRef(m.dir, ref);
  if (!commit && !isLocal(url)) {
    await fetch(m.dir);
    commit = await resolveRef(m.dir, ref);
  }
  if (!commit) return { ok: false, why: `${url} has no tag or commit '${ref}'` };
  const dir = join(cacheRoot(), 'sources', `git-${commit}`);
  if (!(await isComplete(dir))) {
    const staging = stagingFor(dir);
    await mkdir(staging, { recursive: true });
    const r = await execa('git', ['--git-dir', m.dir, 'archive', '--format=tar', commit], { reject: false }).pipe(
      'tar',
      ['-x', '-C', staging],
      { reject: false },
    );
    if (r.exitCode !== 0) {
      await rm(staging, { recursive: true, force: true });
      return { ok: false, why: `cannot extract ${commit} from ${url}: ${firstLine(r)}` };
    }
    await publishDir(staging, dir);
  }
  return {
    ok: true,
    dir,
    commit,
    version: normalizeVersion(ref) ?? (await treeVersion(dir)) ?? (await nearestTagVersion(m.dir, commit)),
  };
}

async function nearestTagVersion(dir: string, commit: string): Promise<string | undefined> {
  const r = await git(['--git-dir', dir, 'describe', '--tags', '--abbrev=0', commit]);
  return r.exitCode === 0 ? normalizeVersion((r.stdout as string).trim()) : undefined;
}

/** Tags of the repository that are versions, for bisecting and for messages. */
export async function gitVersionTags(url: string): Promise<{ tag: string; version: string }[]> {
  const m = await mirror(url);
  if (!m.ok) return [];
  const r = await git(['--git-dir', m.dir, 'tag', '--list']);
  return (r.stdout as string)
    .split('\n')
    .map((tag) => ({ tag, version: normalizeVersion(tag) }))
    .filter((t): t is { tag: string; version: string } => t.version !== undefined);
}
