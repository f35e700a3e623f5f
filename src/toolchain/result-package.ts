import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Lwt 2.6 to 5.5 refer to `Result.result` and link the findlib package
 * `result` (their opam files depend on it): a compatibility module that, from
 * OCaml 4.08 on, is the standard Result module plus the `result` type under
 * that name. Later Lwt versions use the standard module's functions through
 * the same name, so it must keep them. Written here for a compiler's
 * site-lib, so that those Lwt versions build with it.
 */
const SOURCE = `(* Written by lwt-regress: the Result module Lwt 2.6-5.5 get from the result package. *)
include Stdlib.Result
type ('a, 'b) result = ('a, 'b) Stdlib.Result.t = Ok of 'a | Error of 'b
`;

const META = `description = "Result.result, the standard result type (written by lwt-regress for Lwt 2.6-5.5)"
version = "lwt-regress"
archive(byte) = "result.cma"
archive(native) = "result.cmxa"
`;

/** Writes the package's source and META into `<sitelib>/result`; returns the commands that compile it there. */
export async function writeResultPackage(sitelib: string): Promise<{ dir: string; commands: [string, string[]][] }> {
  const dir = join(sitelib, 'result');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'result.ml'), SOURCE);
  await writeFile(join(dir, 'META'), META);
  return {
    dir,
    commands: [
      ['ocamlc', ['-a', '-o', 'result.cma', 'result.ml']],
      ['ocamlopt', ['-a', '-o', 'result.cmxa', 'result.ml']],
    ],
  };
}
