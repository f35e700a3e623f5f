import type { Toolchain } from '../toolchain/ocamlfind.js';
import { runStep } from './build-step.js';
import { LIBRARY_PACKAGES } from './findlib-tree.js';

const listed = new Map<string, Promise<string[]>>();

/**
 * Which of the findlib packages a from-source build may use are installed,
 * with their versions (`ocamlfind list`), read once per toolchain: part of
 * a build's cache key, since a package installed since (`result`,
 * `ocplib-endian`) changes what builds.
 */
export function installedPackages(toolchain: Toolchain, cwd: string): Promise<string[]> {
  const key = toolchain.prefix.join('\0');
  let found = listed.get(key);
  if (!found) {
    found = runStep(toolchain, 'ocamlfind', ['list'], { cwd }).then((text) =>
      text
        .split('\n')
        .map((line) => line.replace(/\s+/g, ' ').trim())
        .filter((line) => LIBRARY_PACKAGES.includes(line.split(' ')[0]!))
        .sort(),
    );
    listed.set(key, found);
    found.catch(() => listed.delete(key));
  }
  return found;
}

/**
 * Those of `wanted` that are installed: a library links the packages its
 * sources name where the compiler has them (`Result.` is the `result`
 * package's before OCaml 4.08 and Stdlib's since); one it really needs and
 * lacks shows as the compiler's error.
 */
export async function installedOf(toolchain: Toolchain, cwd: string, wanted: string[]): Promise<string[]> {
  const names = new Set((await installedPackages(toolchain, cwd)).map((line) => line.split(' ')[0]));
  return wanted.filter((pkg) => names.has(pkg));
}
