import { join } from 'node:path';

export interface FindlibConfPaths {
  /** The compiler's bin directory. */
  bin: string;
  /** Its standard library (`ocamlopt -where`). */
  stdlib: string;
  /** Where findlib packages are installed, searched before the standard library. */
  sitelib: string;
  /** Tool names in bin, e.g. `ocamlopt.opt`, or `ocamlopt` where there is no native one. */
  tools: { ocamlc: string; ocamlopt: string; ocamldep: string };
}

/**
 * A findlib.conf (findlib's doc/ref-man findlib.conf.5) that ties ocamlfind to
 * one compiler: the tools by absolute path, so PATH does not decide which
 * compiler runs; `stdlib` so that the path compiled into ocamlfind does not
 * matter; OCaml 5's own META files live in the standard library, so it is on `path`.
 */
export function findlibConf(p: FindlibConfPaths): string {
  const quote = (s: string) => JSON.stringify(s);
  return [
    `destdir=${quote(p.sitelib)}`,
    `path=${quote(`${p.sitelib}:${p.stdlib}`)}`,
    `stdlib=${quote(p.stdlib)}`,
    'ldconf="ignore"',
    `ocamlc=${quote(join(p.bin, p.tools.ocamlc))}`,
    `ocamlopt=${quote(join(p.bin, p.tools.ocamlopt))}`,
    `ocamldep=${quote(join(p.bin, p.tools.ocamldep))}`,
    '',
  ].join('\n');
}
