import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { EXIT, pathError, UserError } from '../errors.js';

/**
 * Checks, before any work, that a directory lwt-regress will write into can
 * be made and written: a read-only file system, a file in the way or a full
 * disk is one clear line at the start, not a stack trace after the builds.
 */
export async function ensureWritableDir(dir: string, what: string, fix: string): Promise<void> {
  const probe = join(resolve(dir), `.lwt-regress-write-test-${process.pid}`);
  try {
    await mkdir(resolve(dir), { recursive: true });
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (error) {
    throw asUserError(
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? await cause(dir, error) : error,
      what,
      dir,
      fix,
    );
  }
}

/**
 * Why a directory cannot be made: recursive mkdir reports ENOENT on a
 * read-only file system, so the nearest existing ancestor is tried for the
 * real reason (EROFS, EACCES, or a file in the way).
 */
async function cause(dir: string, error: unknown): Promise<unknown> {
  let at = resolve(dir);
  while (!(await stat(at).catch(() => undefined))) {
    const up = dirname(at);
    if (up === at) return error;
    at = up;
  }
  const probe = join(at, `.lwt-regress-write-test-${process.pid}`);
  try {
    await writeFile(probe, '');
    await rm(probe, { force: true });
    return error;
  } catch (real) {
    return real;
  }
}

/** The same for a file a report will be written to: its directory must be writable, and it must not be a directory. */
export async function ensureWritableFile(file: string, what: string): Promise<void> {
  const full = resolve(file);
  const existing = await stat(full).catch(() => undefined);
  if (existing?.isDirectory()) {
    throw new UserError(`${what} ${file} is a directory`, EXIT.usage, 'Name a file to write, e.g. report.html');
  }
  await ensureWritableDir(dirname(full), what, `Choose another place for ${what}`);
}

function asUserError(error: unknown, what: string, path: string, fix: string): UserError {
  const known = pathError(error, fix);
  if (!known) throw error;
  return new UserError(
    `${what} ${path} cannot be written: ${known.message.replace(/^cannot \w+ \S+: /, '')}`,
    known.exitCode,
    fix,
  );
}
