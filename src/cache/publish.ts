import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from '../io/exists.js';

const COMPLETE = '.complete';

/** Whether a cache directory was published whole. */
export async function isComplete(dir: string): Promise<boolean> {
  return exists(join(dir, COMPLETE));
}

/** A private staging directory next to `dir`: parallel runs never write into each other's. */
export function stagingFor(dir: string): string {
  return `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Moves a finished staging directory into place with one rename, so a
 * reader sees either nothing or a complete entry. If another run published
 * the same entry first, ours is dropped: both were built from the same key.
 */
export async function publishDir(staging: string, dir: string): Promise<void> {
  await writeFile(join(staging, COMPLETE), '');
  if (!(await isComplete(dir))) await rm(dir, { recursive: true, force: true });
  try {
    await rename(staging, dir);
  } catch (error) {
    if (!(await isComplete(dir))) throw error;
    await rm(staging, { recursive: true, force: true });
  }
}
