import { execa } from 'execa';
import { EXIT, UserError } from '../errors.js';
import { progress } from '../progress.js';
import { builtCompilerNamed, builtToolchain } from './built-compilers.js';
import { hasFiberStacks } from './ocaml-version.js';
import { prefixToolchain } from './prefix.js';

export interface Toolchain {
  ocamlVersion: string;
  /** As reports show it: the version, or the name of a compiler lwt-regress built (`4.13.1+unsafe-string`). */
  name: string;
  /**
   * Who chose it: the user (--ocaml, --switch), or lwt-regress (the compiler
   * on PATH, or the one a Lwt tree needs, with `why`).
   */
  chosenBy: 'user' | 'lwt-regress';
  /** When lwt-regress chose another compiler than the default: what the tree needs that the default lacks. */
  why?: string;
  /** For messages and reports: "ocamlfind on PATH", "opam switch 4.14.2" or "--ocaml /opt/ocaml-5.3.0". */
  description: string;
  /** Prepended to every tool command: empty, `opam exec --switch S --`, or `env PATH=… OCAMLFIND_CONF=…`. */
  prefix: string[];
  /** The lwt-regress options that select this compiler again (for reproduce lines). */
  reproduce: string[];
  /**
   * OCaml 5 runs OCaml code on heap-allocated fiber stacks: `ulimit -s` does not
   * bound its recursion, OCAMLRUNPARAM=l does, and an overflow raises Stack_overflow.
   */
  fibers: boolean;
}

export interface ToolchainRequest {
  /** An opam switch to run the compiler from. */
  opamSwitch?: string;
  opamRoot?: string;
  /**
   * A compiler prefix (the directory holding bin/ocamlopt), or the name of a
   * compiler lwt-regress builds into its cache (`5.3.0`, `4.13.1+unsafe-string`).
   */
  ocaml?: string;
  /**
   * Set when lwt-regress, not the user, chose `ocaml` (a bisect's probes
   * get the compiler its oldest end needs): why, as the reports say it.
   */
  chosenBecause?: string;
}

const INSTALL_HINT =
  'Install OCaml and findlib (Debian/Ubuntu: apt-get install ocaml-nox ocaml-findlib, or run ./setup), ' +
  'or name an opam switch with --switch';

/** A command and its arguments, run through the toolchain's prefix (never through a shell). */
export function toolCommand(toolchain: Pick<Toolchain, 'prefix'>, command: string, args: string[]): [string, string[]] {
  const [first, ...rest] = [...toolchain.prefix, command, ...args];
  return [first!, rest];
}

/** Finds ocamlfind/ocamlopt on PATH, in an opam switch or in a compiler prefix, and reads the compiler's version. */
export async function findToolchain(request: ToolchainRequest = {}): Promise<Toolchain> {
  if (request.ocaml) {
    const named = await builtCompilerNamed(request.ocaml);
    const found = named ? await builtToolchain(named, progress) : await prefixToolchain(request.ocaml);
    return request.chosenBecause === undefined
      ? { ...found, chosenBy: 'user' }
      : { ...found, chosenBy: 'lwt-regress', why: request.chosenBecause };
  }
  // Through env(1), so that opam's warning about running as root does not become the error we report.
  const prefix = request.opamSwitch
    ? [
        'env',
        'OPAMROOTISOK=1',
        'opam',
        'exec',
        ...(request.opamRoot ? ['--root', request.opamRoot] : []),
        '--switch',
        request.opamSwitch,
        '--',
      ]
    : [];
  const where = request.opamSwitch ? `opam switch ${request.opamSwitch}` : 'ocamlfind on PATH';
  const [file, args] = toolCommand({ prefix }, 'ocamlfind', ['ocamlopt', '-version']);
  const result = await execa(file, args, { reject: false });
  if (result.exitCode !== 0) {
    const missing =
      (result as { code?: string }).code === 'ENOENT' || (request.opamSwitch !== undefined && result.exitCode === 127);
    if (missing && request.opamSwitch)
      throw new UserError(
        'opam is not installed, so --switch cannot be used',
        EXIT.toolchain,
        'Install opam (apt-get install opam) or drop --switch to use the compiler on PATH',
      );
    const detail = String(result.stderr || result.shortMessage).split('\n')[0];
    throw new UserError(
      missing ? 'ocamlfind is not installed (not found on PATH)' : `${where} cannot run ocamlfind ocamlopt: ${detail}`,
      EXIT.toolchain,
      request.opamSwitch
        ? 'Check the switch exists (opam switch list) and has ocamlfind installed ' +
            `(opam install --switch ${request.opamSwitch} ocamlfind)`
        : INSTALL_HINT,
    );
  }
  const ocamlVersion = result.stdout.trim();
  return {
    ocamlVersion,
    name: ocamlVersion,
    chosenBy: request.opamSwitch ? 'user' : 'lwt-regress',
    description: where,
    prefix,
    reproduce: request.opamSwitch
      ? ['--switch', request.opamSwitch, ...(request.opamRoot ? ['--opam-root', request.opamRoot] : [])]
      : [],
    fibers: hasFiberStacks(ocamlVersion),
  };
}
