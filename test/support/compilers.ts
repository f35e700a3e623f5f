import { installOcaml } from '../../src/toolchain/ocaml-install.js';

/**
 * The compilers the tests build from npm's ocaml source package (once, into
 * the cache): 4.10.0 and 4.12.0 for the frame tables of older runtimes,
 * 4.14.1 and 5.3.0 for the regression suites as well.
 */
export const TEST_COMPILERS = ['4.10.0', '4.12.0', '4.14.1', '5.3.0'];

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
    const installed = await installOcaml(version, {
      log: (line) => log(line.startsWith(' ') ? line : `lwt-regress tests: ${line}`),
    });
    prefixes[version] = installed.prefix;
  }
  return prefixes;
}
