import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Toolchain } from '../toolchain/ocamlfind.js';
import { BuildFailed, runStep } from './build-step.js';

/**
 * The stubs are compiled without optimisation: they are system-call glue that
 * no case's recursion runs through (a C frame under Lwt_main.run at most once
 * per turn of the loop), and at the compiler's -O2 they took 2.3 to 2.5 s of
 * CPU where -O0 takes 0.7 (5.6.1's 129 files; bench/RESULTS.md). Placed after
 * the compiler's own flags, so the last -O wins; _FORTIFY_SOURCE, which needs
 * optimisation and warns without it, is undefined.
 */
const UNOPTIMISED = ['-ccopt', '-O0', '-ccopt', '-U_FORTIFY_SOURCE'];

/** The file that includes every stub source: one translation unit parses OCaml's and the system's headers once. */
const UNITY = 'lwtr_all_stubs.c';

/**
 * Compiles lwt.unix's C stubs through `ocamlfind ocamlopt -c` (so with the C
 * compiler and flags the OCaml compiler was configured with), in `root`,
 * and returns the object files (relative to `root`). Up to 140 stub files each re-parse the same
 * headers; compiled as one unit (with _GNU_SOURCE for all of them, which most
 * define themselves) they take a fraction of the time. If that unit does not
 * compile (two files' static names may clash), each file is compiled alone,
 * and the first error of that is the answer.
 */
export async function compileStubs(
  toolchain: Toolchain,
  root: string,
  sources: string[],
  includeDirs: string[],
): Promise<string[]> {
  // Relative to `root`, where the compiler runs: ocamlopt hands -ccopt to the C compiler through a shell command
  // without quoting it, so a cache path with a space in it must not appear there.
  const flags = [...includeDirs.flatMap((d) => ['-ccopt', `-I${d}`]), ...UNOPTIMISED];
  const compile = (files: string[], extra: string[], what: string) =>
    runStep(toolchain, 'ocamlfind', ['ocamlopt', '-g', ...flags, ...extra, '-c', ...files], { cwd: root, what });
  await writeFile(join(root, UNITY), sources.map((s) => `#include "${s}"\n`).join(''));
  let culprit: string | undefined;
  try {
    await compile([UNITY], ['-ccopt', '-D_GNU_SOURCE'], 'C stubs');
    return [UNITY.replace(/\.c$/, '.o')];
  } catch (error) {
    if (!(error instanceof BuildFailed) || error.transient) throw error;
    culprit = sources.find((s) => error.error.includes(`${s}:`));
  }
  // The file the unit's error names is compiled first: if it fails alone, that is the answer without the others.
  for (const source of culprit ? [culprit, ...sources.filter((s) => s !== culprit)] : sources)
    await compile([source], [], 'C stubs');
  return sources.map((s) => basename(s).replace(/\.c$/, '.o'));
}
