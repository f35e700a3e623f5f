import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Directories dune itself does not build from, or that are not the project's. */
const SKIPPED = /^(?:_build|_opam|node_modules|\..*)$/;

/**
 * The libraries a dune project's stanzas name (`(libraries a b.c)`): those
 * that are findlib packages are what its targets link; the project's own
 * libraries among them are simply not installed ones. A regular expression
 * over the S-expressions, not a dune parser: a word that is no findlib
 * package (`re_export`, a project library) is passed over by the lookup.
 */
export async function duneLibraries(root: string): Promise<string[]> {
  const found = new Set<string>();
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory() && !SKIPPED.test(entry.name)) await walk(join(dir, entry.name));
      else if (entry.isFile() && entry.name === 'dune') {
        const text = (await readFile(join(dir, entry.name), 'utf8')).replace(/;[^\n]*/g, '');
        for (const m of text.matchAll(/\(libraries\b([^()]*(?:\([^()]*\)[^()]*)*)\)/g))
          for (const word of m[1]!.split(/[\s()]+/)) if (/^[a-z][\w.-]*$/.test(word)) found.add(word);
      }
    }
  };
  await walk(root);
  return [...found].sort();
}
