import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { digest } from '../cache/digest.js';
import { isComplete, publishDir, stagingFor } from '../cache/publish.js';
import { exists } from '../io/exists.js';
import { cacheRoot } from '../paths.js';
import { progress, secondsSince } from '../progress.js';
import type { Result } from '../result.js';
import { treeVersion } from './tree-version.js';
import { normalizeVersion } from './version.js';

export const UPSTREAM_LWT = 'https://github.com/ocsigen/lwt.git';

const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true' };

/** A lookup through git; `network`: it failed because the remote could not be reached. */
type Networked<T extends object> = Result<T> & { network?: boolean };
export type GitLookup = Networked<{ dir: string; commit: string; version: string | undefined }>;
type MirrorLookup = Networked<{ mirror: Mirror }>;

/** What git says when the remote could not be reached, as opposed to a repository or ref that is not there. */
const NETWORK = new RegExp(
  [
    'Could not resolve host',
    'unable to access',
    'Connection (refused|timed out)',
    'Network is unreachable',
    'Failed to connect',
    'timed out',
  ].join('|'),
  'i',
);

/** A repository the user named, and the bare mirror of it that lwt-regress keeps in its cache. */
export interface Mirror {
  url: string;
  /** The repository on this machine, when the user named a local one: refs are resolved there, as it is now. */
  local: string | undefined;
  dir: string;
  /** Set when the mirror could not be refreshed from a remote (offline): answers may predate the remote's state. */
  stale?: string;
}

/** A local path (or file:// URL) rather than a remote: no `scheme://` and no scp-like `host:path`. */
function localPath(url: string): string | undefined {
  if (url.startsWith('file://')) return fileURLToPath(url);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/]+:/.test(url)) return undefined;
  return resolve(url);
}

async function git(args: string[]) {
  return execa('git', args, { reject: false, env: GIT_ENV, timeout: 300_000 });
}

const firstLine = (r: { stderr: unknown; shortMessage?: string }) =>
  String(r.stderr || r.shortMessage || '')
    .split('\n')
    .find((l) => l.trim()) ?? 'failed';

/** Mirrors refreshed by this process: one fetch per repository and run is enough to see it as it is now. */
const refreshed = new Map<string, Promise<MirrorLookup>>();

/**
 * A bare mirror of the repository in the cache, fetched from its origin on
 * every use (once per process): a repository recreated at the same path, new
 * commits, or a tag that moved are seen as they are now, never an old clone's
 * idea of them. Refs are force-updated and pruned, so the mirror's refs are
 * exactly the origin's.
 */
export function mirror(url: string): Promise<MirrorLookup> {
  const key = localPath(url) ?? url;
  let pending = refreshed.get(key);
  if (!pending) {
    pending = refreshMirror(url);
    refreshed.set(key, pending);
  }
  return pending;
}

async function refreshMirror(url: string): Promise<MirrorLookup> {
  const local = localPath(url);
  const source = local ?? url;
  if (local && !(await exists(local))) return { ok: false, error: `${url} does not exist` };
  const dir = join(cacheRoot(), 'git', `${digest(source).slice(0, 16)}.git`);
  if (!(await exists(dir))) {
    await mkdir(join(cacheRoot(), 'git'), { recursive: true });
    const staging = stagingFor(dir);
    const started = performance.now();
    progress(`cloning ${url}`);
    // `--`: a URL that starts with `-` is a repository, never an option.
    const r = await git(['clone', '--bare', '--quiet', '--', source, staging]);
    progress(`cloned ${url} (${secondsSince(started)})${r.exitCode === 0 ? '' : ': failed'}`);
    if (r.exitCode !== 0) {
      await rm(staging, { recursive: true, force: true });
      return { ok: false, error: `cannot clone ${url}: ${firstLine(r)}`, network: NETWORK.test(String(r.stderr)) };
    }
    await rename(staging, dir).catch(() => rm(staging, { recursive: true, force: true }));
    return { ok: true, mirror: { url, local, dir } };
  }
  const started = performance.now();
  if (!local) progress(`fetching ${url}`);
  let fetched = await fetchAll(dir, source);
  // A parallel run fetching the same mirror holds its ref locks for a moment.
  if (fetched.exitCode !== 0 && /lock/i.test(String(fetched.stderr))) fetched = await fetchAll(dir, source);
  if (!local && fetched.exitCode === 0) progress(`fetched ${url} (${secondsSince(started)})`);
  if (fetched.exitCode === 0) return { ok: true, mirror: { url, local, dir } };
  if (local) return { ok: false, error: `cannot read the repository ${url}: ${firstLine(fetched)}` };
  const stale = `could not refresh ${url} (${firstLine(fetched)}): its refs are as last fetched`;
  progress(`warning: ${stale}`);
  return { ok: true, mirror: { url, local, dir, stale } };
}

function fetchAll(dir: string, source: string) {
  return git([
    '--git-dir',
    dir,
    'fetch',
    '--quiet',
    '--prune',
    '--force',
    '--',
    source,
    '+refs/heads/*:refs/heads/*',
    '+refs/tags/*:refs/tags/*',
  ]);
}

/**
 * The commit a ref names in the repository the user named, as it is now: a
 * local repository is asked directly; in a remote's mirror the commit must
 * still be reachable from one of its refs (a commit of a rewritten history
 * lingers in the mirror's objects but is no longer the remote's).
 */
export async function resolveRef(m: Mirror, ref: string): Promise<string | undefined> {
  const where = m.local ? ['-C', m.local] : ['--git-dir', m.dir];
  const version = normalizeVersion(ref);
  const candidates = version ? [ref, `v${ref}`, `lwt-${ref}`, version, `v${version}`] : [ref];
  for (const c of candidates) {
    if (c.startsWith('-')) continue;
    const r = await git([...where, 'rev-parse', '--verify', '--quiet', '--end-of-options', `${c}^{commit}`]);
    if (r.exitCode !== 0) continue;
    const commit = (r.stdout as string).trim();
    if (m.local) return commit;
    const holders = await git(['--git-dir', m.dir, 'for-each-ref', '--count=1', '--contains', commit]);
    if (holders.exitCode === 0 && String(holders.stdout).trim()) return commit;
  }
  return undefined;
}

/** The tree of `ref` (a version tag, a tag, a branch or a commit) of a git repository, extracted into the cache. */
export async function gitSource(url: string, ref: string): Promise<GitLookup> {
  const got = await mirror(url);
  if (!got.ok) return got;
  const m = got.mirror;
  const commit = await resolveRef(m, ref);
  if (!commit) return { ok: false, error: `${url} has no tag or commit '${ref}'` };
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
      return { ok: false, error: `cannot extract ${commit} from ${url}: ${firstLine(r)}` };
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
  const got = await mirror(url);
  if (!got.ok) return [];
  const r = await git(['--git-dir', got.mirror.dir, 'tag', '--list']);
  return (r.stdout as string)
    .split('\n')
    .map((tag) => ({ tag, version: normalizeVersion(tag) }))
    .filter((t): t is { tag: string; version: string } => t.version !== undefined);
}
