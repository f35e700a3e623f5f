import type { Toolchain } from '../toolchain/ocamlfind.js';
import { runStep } from './build-step.js';

/** What a from-source build needs to know of the compiler's configuration (`ocamlopt -config`). */
export interface CompilerConfig {
  /**
   * `ocamlopt -config` as printed: part of a build's cache key, so that two
   * compilers of one version are told apart.
   */
  text: string;
  /** Configured with --disable-force-safe-string (possible from 4.06 to 4.14): `-unsafe-string` is accepted. */
  unsafeStringAllowed: boolean;
  /** The standard library's directory. */
  stdlib: string;
}

const read = new Map<string, Promise<CompilerConfig>>();

/** The compiler's configuration, read once per toolchain. */
export function compilerConfig(toolchain: Toolchain, cwd: string): Promise<CompilerConfig> {
  const key = toolchain.prefix.join('\0');
  let found = read.get(key);
  if (!found) {
    found = runStep(toolchain, 'ocamlfind', ['ocamlopt', '-config'], { cwd }).then((text) => ({
      text,
      unsafeStringAllowed: /^safe_string: false$/m.test(text),
      stdlib: /^standard_library: (.*)$/m.exec(text)?.[1]?.trim() ?? '',
    }));
    read.set(key, found);
    found.catch(() => read.delete(key));
  }
  return found;
}
