import { statSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { trackDir, untrackDir } from '../run/interrupt.js';

/** Written last into a published entry: every file's size, checked before the entry is used. */
const MANIFEST = '.complete';

/** A staging directory whose process is gone, or this old, was left by an interrupt or a crash. */
const STALE_MS = 24 * 3600 * 1000;

type Sizes = Record<string, number>;

async function sizesOf(dir: string): Promise<Sizes> {
  const sizes: Sizes = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const name = relative(dir, path);
    if (name !== MANIFEST) sizes[name] = (await stat(path)).size;
  }
  return sizes;
}

/**
 * Whether a cache directory was published whole and is still whole: every
 * file the manifest names is there with its size. A truncated, emptied or
 * deleted file (a full disk, a user's cleanup, a crash) makes the entry
 * broken; it is removed so that it is built again, never used.
 */
export async function isComplete(dir: string): Promise<boolean> {
  const text = await readFile(join(dir, MANIFEST), 'utf8').catch(() => undefined);
  if (text === undefined) return false;
  let sizes: Sizes;
  try {
    sizes = JSON.parse(text) as Sizes;
  } catch {
    sizes = {};
  }
  const ok =
    typeof sizes === 'object' &&
    sizes !== null &&
    Object.keys(sizes).length > 0 &&
    Object.entries(sizes).every(([name, size]) => fileSize(join(dir, name)) === size);
  if (!ok) await rm(dir, { recursive: true, force: true });
  return ok;
}

/**
 * Synchronous on purpose: an entry such as a compiler holds thousands of
 * files, and a loop of stat calls takes half the time of as many promises.
 */
function fileSize(path: string): number | undefined {
  const s = statSync(path, { throwIfNoEntry: false });
  return s?.isFile() ? s.size : undefined;
}

/**
 * A private staging directory next to `dir`: parallel runs never write into
 * each other's. It is removed if lwt-regress is interrupted, and staging
 * directories that earlier runs left behind are collected on the way.
 */
export function stagingFor(dir: string): string {
  const staging = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  trackDir(staging);
  collectStaleStaging(dirname(dir)).catch(() => undefined);
  return staging;
}

/** Removes staging directories whose process is gone (or that are a day old) from a cache folder. */
export async function collectStaleStaging(parent: string): Promise<string[]> {
  const removed: string[] = [];
  const names = await readdir(parent).catch(() => [] as string[]);
  for (const name of names) {
    const m = /\.tmp-(\d+)-[a-z0-9]+$/.exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    const path = join(parent, name);
    const age = await stat(path).then(
      (s) => Date.now() - s.mtimeMs,
      () => undefined,
    );
    if (age === undefined) continue;
    if (!isAlive(Number(m[1])) || age > STALE_MS) {
      await rm(path, { recursive: true, force: true });
      removed.push(basename(path));
    }
  }
  return removed;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Moves a finished staging directory into place with one rename, so a
 * reader sees either nothing or a complete entry; the manifest is written
 * last. If another run published the same entry first, ours is dropped:
 * both were built from the same key.
 */
export async function publishDir(staging: string, dir: string): Promise<void> {
  await writeFile(join(staging, MANIFEST), JSON.stringify(await sizesOf(staging)));
  if (!(await isComplete(dir))) await rm(dir, { recursive: true, force: true });
  try {
    await rename(staging, dir);
  } catch (error) {
    if (!(await isComplete(dir))) throw error;
    await rm(staging, { recursive: true, force: true });
  } finally {
    untrackDir(staging);
  }
}

/**
 * Marks a directory built in its final place (under a lock) as complete:
 * the manifest is written last, so an entry without it is never used.
 */
export async function sealInPlace(dir: string): Promise<void> {
  await writeFile(join(dir, MANIFEST), JSON.stringify(await sizesOf(dir)));
}
