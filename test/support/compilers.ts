import { installEraCompiler, UNSAFE_STRING_OCAML } from '../../src/toolchain/era-compiler.js';
import { installOcaml } from '../../src/toolchain/ocaml-install.js';

/** The era compiler (Debian's 4.13.1 without forced safe strings), which lwt-regress chooses for Lwt 2.0-2.4.6. */
export const ERA = UNSAFE_STRING_OCAML.name;

/**
 * The compilers the tests build (once, into the cache): from npm's ocaml
 * source package, 4.10.0 and 4.12.0 for the frame tables of older runtimes,
 * 4.14.1 and 5.3.0 for the regression suites as well; from Debian's sources,
 * the era compiler.
 */
export const TEST_COMPILERS = ['4.10.0', '4.12.0', '4.14.1', '5.3.0', ERA];

/** The compilers the regression suite runs on, beside the one on PATH. */
export const SUITE_COMPILERS = ['4.14.1', '5.3.0'];

/**
 * LWT_REGRESS_TEST_COMPILERS=4.14.1,5.3.0 narrows the list for a quicker
 * run (an empty value: none); tests needing a compiler left out are skipped,
 * and counted as skipped.
 */
export function selectedCompilers(): string[] {
  const chosen = process.env.LWT_REGRESS_TEST_COMPILERS;
  if (chosen === undefined) return TEST_COMPILERS;
  return chosen
    .split(',')
    .map((v) => v.trim())
    .filter((v) => TEST_COMPILERS.includes(v));
}

/** Builds the selected compilers that are not in the cache yet; their prefixes by version. */
export async function ensureCompilers(log: (line: string) => void): Promise<Record<string, string>> {
  const prefixes: Record<string, string> = {};
  for (const version of selectedCompilers()) {
    const options = { log: (line: string) => log(line.startsWith(' ') ? line : `lwt-regress tests: ${line}`) };
    const installed = version === ERA ? await installEraCompiler(options) : await installOcaml(version, options);
    prefixes[version] = installed.prefix;
  }
  return prefixes;
}
