import { copyFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import type { Result } from '../result.js';
import { type Toolchain, toolCommand } from './ocamlfind.js';

export interface BuildRequest {
  toolchain: Toolchain;
  /** OCaml sources in link order, and C stubs. */
  sources: string[];
  /** findlib packages to link (e.g. ['lwt']). */
  packages: string[];
  /** Directory for intermediate files and the executable. */
  workDir: string;
  output: string;
}

export type BuildResult = Result<{ executable: string }>;

/**
 * Compiles with `ocamlfind ocamlopt -g` in a directory of its own (ocamlopt
 * writes objects beside its sources), so the user's tree is never written to.
 */
export async function buildProgram(request: BuildRequest): Promise<BuildResult> {
  await mkdir(request.workDir, { recursive: true });
  const local: string[] = [];
  for (const source of request.sources) {
    const target = join(request.workDir, basename(source));
    await copyFile(source, target);
    local.push(basename(source));
  }
  const packageArgs = request.packages.length > 0 ? ['-package', request.packages.join(','), '-linkpkg'] : [];
  const [file, args] = toolCommand(request.toolchain, 'ocamlfind', [
    'ocamlopt',
    '-g',
    ...packageArgs,
    ...local,
    '-o',
    request.output,
  ]);
  const result = await execa(file, args, {
    cwd: request.workDir,
    reject: false,
    all: true,
  });
  if (result.exitCode !== 0) {
    const log = result.all ?? '';
    const errorLine = log.split('\n').find((l) => /error/i.test(l)) ?? log.split('\n')[0] ?? '';
    return { ok: false, error: errorLine, log };
  }
  return { ok: true, executable: join(request.workDir, request.output) };
}
