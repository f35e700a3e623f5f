import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir as tmpDir } from 'tmp-promise';
import { EXIT, UserError } from '../errors.js';
import { type Toolchain, toolCommand } from '../toolchain/ocamlfind.js';

export interface CToolchain {
  /** libev's header is there: the libev engine is built where the era has one. */
  libev: boolean;
}

const checked = new Map<string, Promise<CToolchain>>();

/**
 * Checks once per toolchain that the C compiler the OCaml compiler was
 * configured with runs and finds the C library's headers and OCaml's own,
 * by compiling two lines through `ocamlfind ocamlopt -c`; a machine that
 * cannot is the user's to fix (exit 8), never a property of the Lwt tree.
 * Also tells whether libev is installed.
 */
export function checkCToolchain(toolchain: Toolchain): Promise<CToolchain> {
  const key = toolchain.prefix.join('\0');
  let found = checked.get(key);
  if (!found) {
    found = probe(toolchain);
    checked.set(key, found);
    found.catch(() => checked.delete(key));
  }
  return found;
}

async function probe(toolchain: Toolchain): Promise<CToolchain> {
  const work = await tmpDir({ unsafeCleanup: true, prefix: 'lwt-regress-cc-' });
  try {
    const compile = async (name: string, text: string) => {
      await writeFile(join(work.path, name), text);
      const [file, args] = toolCommand(toolchain, 'ocamlfind', ['ocamlopt', '-c', name]);
      return execa(file, args, { cwd: work.path, reject: false, all: true });
    };
    const basic = await compile('probe.c', '#include <stdio.h>\n#include <caml/mlvalues.h>\nint lwtr_probe;\n');
    if (basic.exitCode !== 0) throw cToolchainError(basic.all ?? '');
    const libev = await compile('probe_ev.c', '#include <ev.h>\nint lwtr_probe_ev;\n');
    return { libev: libev.exitCode === 0 };
  } finally {
    await work.cleanup();
  }
}

function cToolchainError(output: string): UserError {
  const missingCompiler = /(\S+): (not found|No such file or directory)\s*$/m.exec(output);
  if (missingCompiler && !missingCompiler[1]!.endsWith('.h'))
    return new UserError(
      `the C compiler OCaml uses (${missingCompiler[1]}) is not installed; ` +
        "lwt.unix's C stubs and every native link need it",
      EXIT.toolchain,
      'Install it (Debian/Ubuntu: apt-get install gcc, or run ./setup)',
    );
  const header = /([\w/.-]+\.h): No such file or directory/.exec(output);
  if (header?.[1]?.startsWith('caml/'))
    return new UserError(
      `OCaml's C headers are missing (${header[1]})`,
      EXIT.toolchain,
      'Install the compiler completely (Debian/Ubuntu: apt-get install ocaml-nox)',
    );
  if (header)
    return new UserError(
      `the C library's headers are missing (${header[1]} not found)`,
      EXIT.toolchain,
      'Install them (Debian/Ubuntu: apt-get install libc6-dev, or run ./setup)',
    );
  return new UserError(
    `the C compiler OCaml uses does not work: ${output.trim().split('\n')[0] ?? ''}`,
    EXIT.toolchain,
    'Check the C compiler (Debian/Ubuntu: apt-get install gcc libc6-dev)',
  );
}
