import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from '../io/exists.js';
import type { Toolchain } from '../toolchain/ocamlfind.js';
import { compilerApi, rewriteChangedApi } from './compat-api.js';
import { completeReexports } from './compat-reexports.js';
import { compilerConfig } from './compiler-config.js';
import { unixVariants } from './unix-variants.js';

/** One change the compatibility step made to a file of the build's tree. */
export interface CompatChange {
  /** The file, relative to the build's tree. */
  file: string;
  what: string;
}

/** The first of these interface files the compiler has, read. */
async function firstFile(dirs: string[], name: string): Promise<string | undefined> {
  for (const dir of dirs) if (await exists(join(dir, name))) return readFile(join(dir, name), 'utf8');
  return undefined;
}

/**
 * The era-compatibility step, a compatibility shim and not part of any Lwt:
 * it makes old lwt.unix compile with a newer compiler by the plumbing that
 * compiler forced, and changes nothing else (no behaviour of Lwt, none of
 * its wakeup machinery). In the build's own copy of the tree (never the
 * user's), after cppo and ocamllex, in each of `files`: re-exports of Unix's
 * variant types get the constructors the compiler added since
 * (compat-reexports.ts), and uses of Unix and Bigarray functions the
 * compiler changed or removed are rewritten to what replaced them
 * (compat-api.ts). What is needed is read from the compiler's own unix.mli
 * and bigarray.mli (in the standard library's directory, unix.mli in
 * `+unix` for OCaml 5), so it is right for whatever compiler builds the
 * tree; a compiler without them gets no change, and an old tree then fails
 * with the compiler's error, as without this step.
 */
export async function applyCompat(toolchain: Toolchain, tree: string, files: string[]): Promise<CompatChange[]> {
  const { stdlib } = await compilerConfig(toolchain, tree);
  const unixMli = await firstFile([stdlib, join(stdlib, 'unix')], 'unix.mli');
  if (!unixMli) return [];
  const variants = unixVariants(unixMli);
  const api = compilerApi(unixMli, await firstFile([stdlib], 'bigarray.mli'));
  const changes: CompatChange[] = [];
  for (const file of files) {
    const source = await readFile(join(tree, file), 'latin1');
    const reexports = completeReexports(source, variants);
    const rewritten = rewriteChangedApi(reexports.text, api);
    const made = [
      ...reexports.changes.map((c) => `re-exports Unix.${c.type}: appended ${c.added.join(', ')}`),
      ...rewritten.changes,
    ];
    if (made.length === 0) continue;
    await writeFile(join(tree, file), rewritten.text, 'latin1');
    changes.push(...made.map((what) => ({ file, what })));
  }
  return changes;
}
