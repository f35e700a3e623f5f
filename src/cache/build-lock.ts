import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { trackDir, untrackDir } from '../run/interrupt.js';
import { isAlive } from './publish.js';

/** How often a waiting run looks whether the lock is free again. */
const POLL_MS = 500;

export interface LockOptions {
  /** Said once when another run holds the lock: who, so that the wait is not a mystery. */
  onWait?: (holder: number) => void;
  /** Test seam: how long to sleep between looks. */
  pollMs?: number;
}

/**
 * Runs `work` while holding an exclusive lock on `path` (a directory made
 * with mkdir, which is atomic; it holds the owner's pid). For work that is
 * long and must not happen twice, as building a compiler: a second run waits,
 * then finds the work done. A lock whose owner is gone (killed, or the
 * machine rebooted) is taken over; an interrupt of the owner removes it.
 */
export async function withLock<T>(path: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  let told = false;
  for (;;) {
    if (await tryLock(path)) break;
    const holder = await holderOf(path);
    if (holder === undefined ? await ownerless(path) : !isAlive(holder)) {
      await rm(path, { recursive: true, force: true });
      continue;
    }
    if (!told && holder !== undefined) options.onWait?.(holder);
    told ||= holder !== undefined;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? POLL_MS));
  }
  trackDir(path);
  try {
    return await work();
  } finally {
    await rm(path, { recursive: true, force: true });
    untrackDir(path);
  }
}

async function tryLock(path: string): Promise<boolean> {
  try {
    await mkdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  await writeFile(join(path, 'pid'), String(process.pid));
  return true;
}

/** A lock without a pid for this long was left by an owner that died right after making it. */
const OWNERLESS_MS = 10_000;

async function ownerless(path: string): Promise<boolean> {
  const made = await stat(path).then(
    (s) => s.mtimeMs,
    () => undefined,
  );
  return made !== undefined && Date.now() - made > OWNERLESS_MS;
}

/** The owner's pid; undefined while the owner is between its mkdir and writing the pid. */
async function holderOf(path: string): Promise<number | undefined> {
  const text = await readFile(join(path, 'pid'), 'utf8').catch(() => '');
  const pid = Number(text);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
