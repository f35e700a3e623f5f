import { isDirectory } from '../io/exists.js';
import type { CompilerTraits } from './compiler-choice.js';
import { installEraCompiler, UNSAFE_STRING_OCAML } from './era-compiler.js';
import { type InstalledOcaml, installOcaml } from './ocaml-install.js';
import type { Toolchain } from './ocamlfind.js';
import { builtPrefixToolchain } from './prefix.js';

/** A compiler lwt-regress builds into its cache on first use. */
export interface BuiltCompiler extends CompilerTraits {
  install(log: (line: string) => void): Promise<InstalledOcaml>;
}

const ERA: BuiltCompiler = {
  ...UNSAFE_STRING_OCAML,
  ocamlVersion: UNSAFE_STRING_OCAML.version,
  unsafeStrings: true,
  camlp4: true,
  install: (log) => installEraCompiler({ log }),
};

const npmCompiler = (version: string): BuiltCompiler => ({
  name: version,
  ocamlVersion: version,
  // OCaml 5 has no -unsafe-string, and npm's 4.x are configured as published (safe strings forced).
  unsafeStrings: false,
  camlp4: false,
  install: (log) => installOcaml(version, { log }),
});

/**
 * The compilers lwt-regress chooses from when the default cannot build a
 * tree, in the order it tries them: the era compiler for the safe-string and
 * camlp4 eras, OCaml 5.3.0 for the pre-releases that need OCaml 5.
 */
export const CHOSEN_COMPILERS: BuiltCompiler[] = [ERA, npmCompiler('5.3.0')];

/**
 * `--ocaml NAME` for a compiler lwt-regress builds, rather than a
 * directory: the era compiler's name, or a version of npm's ocaml package.
 */
export async function builtCompilerNamed(name: string): Promise<BuiltCompiler | undefined> {
  if (await isDirectory(name)) return undefined;
  if (name === ERA.name) return ERA;
  return /^\d+\.\d+\.\d+$/.test(name) ? npmCompiler(name) : undefined;
}

/** A built compiler as a toolchain (building it first if the cache lacks it), selected again by `--ocaml NAME`. */
export async function builtToolchain(compiler: BuiltCompiler, log: (line: string) => void): Promise<Toolchain> {
  const installed = await compiler.install(log);
  const toolchain = builtPrefixToolchain(installed.prefix, installed.ocamlVersion);
  return { ...toolchain, name: compiler.name, reproduce: ['--ocaml', compiler.name] };
}
