import { copyFile, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Toolchain } from '../toolchain/ocamlfind.js';
import { BuildFailed, runStep } from './build-step.js';
import { type Camlp4, preprocess, usesPlainParsingSyntax } from './camlp4.js';

export interface LibraryRequest {
  /** findlib-style name of the archive: `lwt`, `lwt_unix`, `lwt_log`. */
  archive: string;
  /** The modules' files: the name each gets in `dir`, and where it is read from. */
  files: Map<string, string>;
  /** Where the library is compiled and its archive written (a findlib package directory). */
  dir: string;
  /** Lwt's camlp4 extensions, built on demand, for trees that do not parse as plain OCaml; and where camlp4 runs. */
  camlp4?: { get: () => Promise<Camlp4>; cwd: string };
  packages: string[];
  /** Directories of the libraries this one uses (the core for lwt.unix). */
  includes: string[];
  /** Flags recorded in the archive for linking (its C stubs and C libraries). */
  cclib: string[];
  /** Compiler flags for every module (`-unsafe-string` for a tree that writes into strings, string-mode.ts). */
  flags: string[];
  /**
   * Whether the libraries this one uses compiled: the modules wait for it
   * (they need those .cmi and .cmx files, not their archives); copying,
   * ocamldep and camlp4 do not, so they run while those libraries compile.
   */
  after?: Promise<boolean>;
}

/** A library under way: what a library using it waits for, and the end of its build. */
export interface LibraryBuild {
  /** Whether its modules compiled (their .cmi and .cmx are in its directory); never rejects. */
  compiled: Promise<boolean>;
  /** The compilation units in link order once the archive is written; rejects with the build's failure. */
  archived: Promise<string[]>;
}

/**
 * Compiles a library's modules with one `ocamlfind ocamlopt -g -c` over the
 * files in the order `ocamldep -sort` gives, then archives them. A library
 * written in Lwt's camlp4 syntax (2.0 to 2.4.6: `lwt x = …`, pa_optcomp's
 * `#if`) is expanded first, file by file, through argument arrays: one with
 * a file plain OCaml cannot parse, or one that uses `raise_lwt` or
 * `assert_lwt`, which parse but are pa_lwt's (2.4.4 to 2.4.6's lwt.log).
 * The archive is written while a library using this one compiles.
 */
export function compileLibrary(toolchain: Toolchain, request: LibraryRequest): LibraryBuild {
  const units = compileModules(toolchain, request);
  return {
    compiled: units.then(
      () => true,
      () => false,
    ),
    archived: units.then(async (compiled) => {
      const cclib = request.cclib.flatMap((f) => ['-cclib', f]);
      const archive = `${request.archive}.cmxa`;
      await runStep(toolchain, 'ocamlfind', ['ocamlopt', '-a', '-o', archive, ...compiled, ...cclib], {
        cwd: request.dir,
        what: archive,
      });
      return compiled;
    }),
  };
}

/** The library's modules compiled in its directory; returns the compilation units in link order. */
async function compileModules(toolchain: Toolchain, request: LibraryRequest): Promise<string[]> {
  const { dir } = request;
  const names = [...request.files.keys()];
  for (const [name, from] of request.files) await copyFile(from, join(dir, name));
  const step = (args: string[], what?: string) => runStep(toolchain, 'ocamlfind', args, { cwd: dir, what });
  const sort = () => step(['ocamldep', '-sort', ...names], 'ocamldep');
  const texts = await Promise.all([...request.files.values()].map((f) => readFile(f, 'latin1')));
  // Files plain OCaml cannot parse: camlp4 must expand them; where it cannot, the build fails.
  let unparsed = new Set<string>();
  let sorted = await sort().catch((error: unknown) => {
    if (!(error instanceof BuildFailed) || !/Syntax error/.test(error.log) || !request.camlp4) throw error;
    unparsed = new Set([...error.log.matchAll(/File "([^"]+)", line/g)].map((m) => m[1]!));
    return undefined;
  });
  if (request.camlp4 && (sorted === undefined || usesPlainParsingSyntax(texts))) {
    await expand(toolchain, request, request.camlp4, unparsed);
    sorted = await sort();
  }
  const order = (sorted ?? '').trim().split(/\s+/).filter(Boolean);
  const packages = request.packages.length > 0 ? ['-package', request.packages.join(',')] : [];
  const thread = request.packages.some((p) => p.startsWith('threads')) ? ['-thread'] : [];
  const includes = request.includes.flatMap((i) => ['-I', i]);
  if (request.after && !(await request.after))
    throw new BuildFailed(`${request.archive}: a library it uses did not compile`, '', false);
  await step(['ocamlopt', '-g', '-w', '-a', ...request.flags, ...thread, ...packages, ...includes, '-c', ...order]);
  return order.filter((f) => f.endsWith('.ml')).map((f) => `${basename(f, '.ml')}.cmx`);
}

/**
 * As the 2.x _tags did, every file goes through camlp4 (pa_lwt also rewrites
 * `raise_lwt`, which parses as plain OCaml); a file camlp4 cannot parse but
 * plain OCaml can (newer syntax) is compiled as it is, unless it is among
 * the files plain OCaml could not parse either.
 */
async function expand(
  toolchain: Toolchain,
  request: LibraryRequest,
  camlp4: NonNullable<LibraryRequest['camlp4']>,
  unparsed: Set<string>,
): Promise<void> {
  const extensions = await camlp4.get();
  for (const [name, from] of request.files) {
    await preprocess(toolchain, extensions, from, join(request.dir, name), camlp4.cwd).catch((failure: unknown) => {
      if (!(failure instanceof BuildFailed) || failure.transient || unparsed.has(name)) throw failure;
      return copyFile(from, join(request.dir, name));
    });
  }
}
