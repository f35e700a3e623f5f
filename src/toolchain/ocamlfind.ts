import { execa } from 'execa';
import { EXIT, UserError } from '../errors.js';

export interface Toolchain {
  /** The command that runs ocamlfind (a path or a name on PATH). */
  ocamlfind: string;
  ocamlVersion: string;
}

const INSTALL_HINT = 'Install OCaml and findlib (Debian/Ubuntu: apt-get install ocaml-nox ocaml-findlib, or run ./setup)';

/** The OCaml toolchain on PATH, through ocamlfind. */
export async function findToolchain(ocamlfind = 'ocamlfind'): Promise<Toolchain> {
  const result = await execa(ocamlfind, ['ocamlopt', '-version'], { reject: false });
  if (result.failed || result.exitCode !== 0) {
    const missing = (result as { code?: string }).code === 'ENOENT';
    throw new UserError(
      missing ? `${ocamlfind} is not installed (not found on PATH)` : `${ocamlfind} ocamlopt does not work: ${String(result.stderr || result.shortMessage).split('\n')[0]}`,
      EXIT.toolchain,
      INSTALL_HINT,
    );
  }
  return { ocamlfind, ocamlVersion: result.stdout.trim() };
}

/** Whether this OCaml keeps OCaml frames on the system stack (4.x), which the core path needs. */
export function hasSystemStack(version: string): boolean {
  return Number(version.split('.')[0]) < 5;
}
