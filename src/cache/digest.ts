import { createHash } from 'node:crypto';

/** A stable hex digest of JSON-able parts: the cache keys. */
export function digest(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}
