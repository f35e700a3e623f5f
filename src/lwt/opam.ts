import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { digest } from '../cache/digest.js';
import { isComplete, publishDir, stagingFor } from '../cache/publish.js';
import { cacheRoot } from '../paths.js';
import { progress, secondsSince } from '../progress.js';
import type { Result } from '../result.js';

const OPAM_ENV = { OPAMROOTISOK: '1', OPAMYES: '1', OPAMCOLOR: 'never', OPAMNOENVNOTICE: 'true' };

export interface OpamOptions {
  root?: string;
}

const rootArgs = (o: OpamOptions) => (o.root ? ['--root', o.root] : []);

export type OpamLookup = Result<{ dir: string }>;

/** The versions of lwt the user's opam repositories know, oldest first; undefined when opam cannot say. */
export async function opamLwtVersions(options: OpamOptions): Promise<Result<{ versions: string[] }>> {
  const r = await execa('opam', ['show', ...rootArgs(options), 'lwt', '--field=all-versions'], {
    reject: false,
    env: OPAM_ENV,
  });
  if ((r as { code?: string }).code === 'ENOENT') return { ok: false, error: 'opam is not installed' };
  if (r.exitCode !== 0) return { ok: false, error: opamError(r.stderr as string) };
  return { ok: true, versions: (r.stdout as string).trim().split(/\s+/).filter(Boolean) };
}

/** `opam source lwt.V` into the cache (see opamPackageSource). */
export const opamSource = (version: string, options: OpamOptions) => opamPackageSource('lwt', version, options);

/**
 * `opam source PKG.V` into the cache (once per opam root, package and
 * version): works offline against local repositories, and needs a switch in that root.
 */
export async function opamPackageSource(pkg: string, version: string, options: OpamOptions): Promise<OpamLookup> {
  const dir = join(
    cacheRoot(),
    'sources',
    `opam-${digest([options.root ?? process.env.OPAMROOT ?? '~/.opam', pkg, version]).slice(0, 16)}-${pkg}.${version}`,
  );
  if (await isComplete(dir)) return { ok: true, dir };
  const staging = stagingFor(dir);
  const started = performance.now();
  progress(`fetching ${pkg}.${version} with opam source`);
  const r = await execa('opam', ['source', ...rootArgs(options), `${pkg}.${version}`, '--dir', staging], {
    reject: false,
    env: OPAM_ENV,
  });
  if ((r as { code?: string }).code === 'ENOENT') return { ok: false, error: 'opam is not installed' };
  if (r.exitCode !== 0) {
    await rm(staging, { recursive: true, force: true });
    const why = opamError(`${r.stderr}\n${r.stdout}`);
    return {
      ok: false,
      error: /No switch is currently set/.test(why)
        ? `${why} (e.g. opam switch create${options.root ? ` --root ${options.root}` : ''} lwt-regress --empty)`
        : why,
    };
  }
  await publishDir(staging, dir);
  progress(`fetched ${pkg}.${version} (${secondsSince(started)})`);
  return { ok: true, dir };
}

/**
 * opam's reason for a failure: the first error line, with the lines that
 * continue it (opam prints "Fatal error:" and the actual reason on the next line).
 */
export function opamError(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/Running as root is not recommended/.test(l));
  const at = Math.max(
    0,
    lines.findIndex((l) => /\[ERROR\]|error/i.test(l)),
  );
  let message = (lines[at] ?? 'failed').replace(/^\[ERROR\]\s*/, '');
  for (let i = at + 1; i < lines.length && /:$/.test(message) && i <= at + 2; i++) message = `${message} ${lines[i]}`;
  return message;
}
