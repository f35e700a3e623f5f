import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { digest } from '../cache/digest.js';
import { isComplete, publishDir, stagingFor } from '../cache/publish.js';
import type { Case } from '../cases/load-cases.js';
import { firstError, type LwtBuild } from '../lwt/core-build.js';
import { cacheRoot } from '../paths.js';
import { type Toolchain, toolCommand } from '../toolchain/ocamlfind.js';

export type CaseBinary = { ok: true; executable: string; cached: boolean } | { ok: false; error: string; log: string };

/** The case compiled and linked against a Lwt build, cached by (compiler, Lwt build, case source, stub). */
export async function caseBinary(testCase: Case, lwt: LwtBuild, toolchain: Toolchain): Promise<CaseBinary> {
  const program = await readFile(testCase.program, 'utf8');
  const stub = await readFile(testCase.stub, 'utf8');
  const key = digest(['case', toolchain.ocamlVersion, lwt.key, program, stub]);
  const dir = join(cacheRoot(), 'cases', `${testCase.manifest.name}-${key.slice(0, 20)}`);
  const executable = join(dir, 'case');
  if (await isComplete(dir)) return { ok: true, executable, cached: true };
  const staging = stagingFor(dir);
  await mkdir(staging, { recursive: true });
  try {
    await copyFile(testCase.program, join(staging, 'case.ml'));
    await copyFile(testCase.stub, join(staging, 'lwtr_stubs.c'));
    const [file, args] = toolCommand(toolchain, 'ocamlfind', [
      'ocamlopt',
      '-g',
      '-w',
      '-a',
      ...lwt.linkArgs,
      'lwtr_stubs.c',
      'case.ml',
      '-o',
      'case',
    ]);
    const r = await execa(file, args, { cwd: staging, reject: false, all: true });
    if (r.exitCode !== 0) return { ok: false, error: firstError(r.all ?? ''), log: r.all ?? '' };
    await publishDir(staging, dir);
    return { ok: true, executable, cached: false };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
