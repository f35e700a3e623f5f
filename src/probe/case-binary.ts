import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import { digest } from '../cache/digest.js';
import { isComplete, publishDir, stagingFor } from '../cache/publish.js';
import type { Case } from '../cases/load-cases.js';
import { buildTimeoutMs } from '../lwt/build-step.js';
import { firstError } from '../lwt/compiler-error.js';
import type { LwtBuild } from '../lwt/lwt-build.js';
import { cacheRoot } from '../paths.js';
import type { Result } from '../result.js';
import { type Toolchain, toolCommand } from '../toolchain/ocamlfind.js';
import { userOcamlpath } from '../toolchain/user-ocamlpath.js';

export type CaseBinary = Result<{ executable: string; cached: boolean }>;

/**
 * The harness's own module, linked before every case: its initialiser calls
 * the C stub that resets SIGSEGV, so that an overflow in OCaml code dumps a
 * core instead of becoming OCaml 4.x's Stack_overflow. Cases know nothing of it.
 */
const RESET_MODULE = 'lwtr_reset.ml';

/**
 * The environment that makes a build's findlib tree the `lwt` ocamlfind and
 * dune find first, after the packages rebuilt against it (src/world/).
 */
export function findlibEnv(lwt: LwtBuild): Record<string, string> | undefined {
  if (!lwt.findlibPath) return undefined;
  const paths = [...(lwt.world ?? []), lwt.findlibPath, ...userOcamlpath()];
  return { OCAMLPATH: paths.join(':') };
}

/** Why a package the case asks for cannot be linked against this Lwt, or nothing when all can. */
async function missingPackage(packages: string[], lwt: LwtBuild, toolchain: Toolchain): Promise<string | undefined> {
  for (const pkg of packages) {
    const [file, args] = toolCommand(toolchain, 'ocamlfind', ['query', pkg]);
    const r = await execa(file, args, { reject: false, env: findlibEnv(lwt) });
    if (r.exitCode === 0) continue;
    const root = pkg.split('.')[0]!;
    if (root === 'lwt') return `it needs findlib package ${pkg}, which this Lwt build does not provide`;
    return (
      `it needs findlib package ${pkg}, which is not installed for ${toolchain.description}: ` +
      `install it (opam install ${root}, or Debian's lib${root}-ocaml-dev)`
    );
  }
  return undefined;
}

/**
 * The case compiled and linked against a Lwt build with `-package
 * lwt,<its packages>`, the build's findlib tree first on OCAMLPATH; cached
 * by (compiler, Lwt build, case source, packages, the harness's module).
 */
export async function caseBinary(testCase: Case, lwt: LwtBuild, toolchain: Toolchain): Promise<CaseBinary> {
  const packages = [...new Set(['lwt', ...testCase.manifest.packages])];
  const resetModule = join(dirname(testCase.stub), RESET_MODULE);
  const program = await Promise.all(
    testCase.sources.map(async (f) => [basename(f), await readFile(f, 'utf8')] as const),
  );
  const stub = await readFile(testCase.stub, 'utf8');
  const reset = await readFile(resetModule, 'utf8');
  const key = digest(['case', toolchain.ocamlVersion, lwt.key, program, stub, reset, packages]);
  const dir = join(cacheRoot(), 'cases', `${testCase.manifest.name}-${key.slice(0, 20)}`);
  const executable = join(dir, 'case');
  if (testCase.manifest.packages.includes('lwt.unix') && !lwt.unix.ok)
    return { ok: false, error: `it needs lwt.unix, which is untestable on this Lwt: ${lwt.unix.error}`, log: '' };
  if (await isComplete(dir)) return { ok: true, executable, cached: true };
  const missing = await missingPackage(testCase.manifest.packages, lwt, toolchain);
  if (missing) return { ok: false, error: missing, log: '' };
  const staging = stagingFor(dir);
  await mkdir(staging, { recursive: true });
  try {
    for (const f of testCase.sources) await copyFile(f, join(staging, basename(f)));
    const env = findlibEnv(lwt);
    const order = await sortSources(
      toolchain,
      packages,
      staging,
      testCase.sources.map((f) => basename(f)),
      env,
    );
    if (!order.ok) return order;
    await copyFile(testCase.stub, join(staging, 'lwtr_stubs.c'));
    await copyFile(resetModule, join(staging, RESET_MODULE));
    // lwt.unix requires threads.posix from 3.2 on, and the core of the 6.0.0 Domain pre-releases does:
    // ocamlfind links it only with -thread, which changes nothing for a program without threads.
    const [file, args] = toolCommand(toolchain, 'ocamlfind', [
      'ocamlopt',
      '-g',
      '-w',
      '-a',
      '-thread',
      '-package',
      packages.join(','),
      '-linkpkg',
      'lwtr_stubs.c',
      RESET_MODULE,
      ...order.files,
      '-o',
      'case',
    ]);
    const r = await execa(file, args, { cwd: staging, reject: false, all: true, env, timeout: buildTimeoutMs() });
    if (r.timedOut)
      return { ok: false, error: `ocamlfind ocamlopt did not finish within ${buildTimeoutMs() / 1000} s` };
    if (r.exitCode !== 0) return { ok: false, error: firstError(r.all ?? ''), log: r.all ?? '' };
    await publishDir(staging, dir);
    return { ok: true, executable, cached: false };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** A case of several modules, in the order `ocamldep -sort` gives (interfaces before their implementations). */
async function sortSources(
  toolchain: Toolchain,
  packages: string[],
  dir: string,
  files: string[],
  env: Record<string, string> | undefined,
): Promise<Result<{ files: string[] }>> {
  if (files.length === 1) return { ok: true, files };
  const [file, args] = toolCommand(toolchain, 'ocamlfind', [
    'ocamldep',
    '-package',
    packages.join(','),
    '-sort',
    ...files,
  ]);
  const r = await execa(file, args, { cwd: dir, reject: false, all: true, env, timeout: buildTimeoutMs() });
  if (r.exitCode !== 0) return { ok: false, error: firstError(r.all ?? ''), log: r.all ?? '' };
  return { ok: true, files: String(r.stdout).trim().split(/\s+/).filter(Boolean) };
}
