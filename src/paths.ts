import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root, found by walking up to the directory that holds
 * ocaml-cases/: the code runs both compiled (dist/src/...) and as TypeScript
 * under vitest (src/...), at different depths.
 */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'ocaml-cases'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('lwt-regress: cannot find the ocaml-cases directory above the installed code');
    dir = parent;
  }
  return dir;
}

/** Where builds are cached: $LWT_REGRESS_CACHE, else $XDG_CACHE_HOME/lwt-regress, else ~/.cache/lwt-regress. */
export function cacheRoot(): string {
  return process.env.LWT_REGRESS_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'lwt-regress');
}
