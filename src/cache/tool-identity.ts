import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let identity: string | undefined;

/**
 * What identifies this lwt-regress's own code: a digest of every module it
 * runs from (dist/src, or src under vitest), read once. A verdict is keyed by
 * it, so that an upgrade in place (git pull, npm update), which may judge
 * differently, never replays the verdicts the old code reached.
 */
export function toolIdentity(): string {
  if (identity) return identity;
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(js|ts)$/.test(entry.name)) hash.update(path.slice(root.length)).update(readFileSync(path));
    }
  };
  walk(root);
  identity = hash.digest('hex');
  return identity;
}
