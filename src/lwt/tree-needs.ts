import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Need } from '../toolchain/compiler-choice.js';
import { coreFiles } from './core-build.js';
import { inCode } from './ocaml-text.js';
import { writesIntoStrings } from './string-mode.js';
import { listFiles, unixDirOf, unixInputDirs } from './unix-tree.js';

interface Source {
  /** Relative to the tree's root, for the messages. */
  path: string;
  text: string;
}

/**
 * pa_lwt's syntax (`lwt x = … in`, `try_lwt`, `for_lwt`, …) and
 * pa_optcomp's directives (`#if`, `#include`, `#let` at the start of a
 * line), which only camlp4 reads. cppo's files (`.cppo.ml`, from 2.7.1)
 * use `#if` too, but cppo expands them.
 */
function usesCamlp4Syntax(s: Source): boolean {
  if (/\.cppo\.mli?$/.test(s.path)) return false;
  return (
    inCode(/\blwt\s+[a-z_(][^=\n]*=|\b(?:try_lwt|for_lwt|match_lwt|while_lwt|raise_lwt|assert_lwt)\b/, s.text) ||
    /^#(?:if|include|let)\b/m.test(s.text)
  );
}

/** A module of the library: not the configuration program (config/discover.ml from 3.x), which lwt-regress replaces. */
const isLibrarySource = (path: string) => /\.mli?$/.test(path) && !/(^|\/)config\//.test(path);

const firstWith = (sources: Source[], test: (s: Source) => boolean) => sources.find(test)?.path;

/**
 * What a Lwt tree needs of the compiler that builds it, read from its
 * sources: the core's, and lwt.unix's (and lwt.log's) when `beyondCore`,
 * that is when a case links more than the core. Each need names the file it
 * was seen in.
 */
export async function treeNeeds(root: string, beyondCore: boolean): Promise<Need[]> {
  const core = await coreFiles(root);
  if (!core) return [];
  const read = async (paths: string[]) =>
    Promise.all(paths.map(async (p) => ({ path: relative(root, p), text: await readFile(p, 'latin1') })));
  const coreSources = await read([...core.values()]);
  const libraries: Source[] = [];
  const unixDir = beyondCore ? await unixDirOf(root) : undefined;
  if (unixDir)
    for (const dir of await unixInputDirs(root, unixDir))
      libraries.push(...(await read((await listFiles(root, dir)).filter(isLibrarySource).map((p) => join(root, p)))));
  const all = [...coreSources, ...libraries];
  const needs: Need[] = [];
  const strings = firstWith(all, (s) => writesIntoStrings([s.text]));
  if (strings) needs.push({ kind: 'unsafe-strings', why: `this Lwt writes into strings (${strings})` });
  const camlp4 = firstWith(all, usesCamlp4Syntax);
  if (camlp4) needs.push({ kind: 'camlp4', why: `this Lwt is written in its camlp4 syntax (${camlp4})` });
  const domain = firstWith(coreSources, (s) => inCode(/\bDomain\./, s.text));
  if (domain) needs.push({ kind: 'ocaml-5', why: `this Lwt uses OCaml 5's Domain (${domain})` });
  const pervasives = firstWith(coreSources, (s) => inCode(/\bPervasives\./, s.text));
  if (pervasives)
    needs.push({ kind: 'ocaml-4', why: `this Lwt uses Pervasives, which OCaml 5 removed (${pervasives})` });
  return needs;
}
