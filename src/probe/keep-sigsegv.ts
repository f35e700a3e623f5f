import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { digest } from '../cache/digest.js';
import { isComplete, publishDir, stagingFor } from '../cache/publish.js';
import { firstError } from '../lwt/compiler-error.js';
import { cacheRoot, projectRoot } from '../paths.js';
import type { Result } from '../result.js';
import { type Toolchain, toolCommand } from '../toolchain/ocamlfind.js';

const SOURCE = join(projectRoot(), 'ocaml-cases', '_stub', 'lwtr_keep_sigsegv.c');

/**
 * The shared library that keeps SIGSEGV's default action in a program
 * lwt-regress did not link (see lwtr_keep_sigsegv.c), built once with the C
 * compiler the OCaml compiler uses (`cc` when there is no OCaml toolchain to
 * ask, as for `check` on a machine that only runs programs) and cached.
 */
export async function keepSigsegvLibrary(toolchain?: Toolchain): Promise<Result<{ path: string }>> {
  const source = await readFile(SOURCE, 'utf8');
  const cc = toolchain ? await cCompiler(toolchain) : 'cc';
  const dir = join(cacheRoot(), 'preload', digest([source, cc]).slice(0, 20));
  const path = join(dir, 'lwtr_keep_sigsegv.so');
  if (await isComplete(dir)) return { ok: true, path };
  const staging = stagingFor(dir);
  await mkdir(staging, { recursive: true });
  try {
    const out = join(staging, 'lwtr_keep_sigsegv.so');
    const r = await execa(cc, ['-shared', '-fPIC', '-O2', '-o', out, SOURCE, '-ldl'], { reject: false, all: true });
    if (r.exitCode !== 0) return { ok: false, error: `the SIGSEGV library does not build: ${firstError(r.all ?? '')}` };
    await publishDir(staging, dir);
    return { ok: true, path };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function cCompiler(toolchain: Toolchain): Promise<string> {
  const [file, args] = toolCommand(toolchain, 'ocamlfind', ['ocamlopt', '-config']);
  const config = await execa(file, args, { reject: false });
  return /^c_compiler: (\S+)/m.exec(String(config.stdout))?.[1] ?? 'cc';
}
