import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runUnderLimits } from '../../src/run/run-under-limits.js';
import { buildProgram } from '../../src/toolchain/build.js';
import { findToolchain } from '../../src/toolchain/ocamlfind.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const STUB = join(root, 'ocaml-cases/_stub/lwtr_stubs.c');
/** The harness's module that calls the stub at start-up: what lwt-regress links before every case. */
const RESET = join(root, 'ocaml-cases/_stub/lwtr_reset.ml');
const fixture = (name: string) => join(root, 'test/fixtures', name);

export interface CrashFixture {
  name: string;
  executable: string;
  core: string;
}

interface Spec {
  name: string;
  sources: string[];
  packages: string[];
  args: string[];
  stackKiB: number;
}

export const SPECS: Spec[] = [
  {
    name: 'self-recursion',
    sources: [STUB, fixture('self_recursion.ml')],
    packages: [],
    args: ['10000000'],
    stackKiB: 1024,
  },
  {
    name: 'mutual-recursion',
    sources: [STUB, fixture('mutual_recursion.ml')],
    packages: [],
    args: ['10000000'],
    stackKiB: 1024,
  },
  {
    name: 'wakeup-chain',
    sources: [STUB, RESET, join(root, 'ocaml-cases/wakeup-chain/case.ml')],
    packages: ['lwt'],
    args: ['1000000'],
    stackKiB: 1024,
  },
  {
    name: 'null-write',
    sources: [STUB, fixture('null_write.c'), fixture('null_write_crash.ml')],
    packages: [],
    args: [],
    stackKiB: 1024,
  },
];

/** Builds one fixture program with the system ocamlopt and crashes it, keeping its core. */
export async function buildAndCrash(spec: Spec, dir: string, stackKiB = spec.stackKiB): Promise<CrashFixture> {
  const toolchain = await findToolchain();
  const workDir = join(dir, spec.name);
  await mkdir(workDir, { recursive: true });
  const built = await buildProgram({
    toolchain,
    sources: spec.sources,
    packages: spec.packages,
    workDir,
    output: spec.name,
  });
  if (!built.ok) throw new Error(`building ${spec.name} failed: ${built.log}`);
  const run = await runUnderLimits({
    executable: built.executable,
    args: spec.args,
    cwd: workDir,
    stackKiB,
    timeoutMs: 120_000,
    capture: 'auto',
  });
  if (!run.core)
    throw new Error(
      `${spec.name} left no core (exit ${run.exitCode}, signal ${run.signal}, ${run.capture.note ?? ''}): ` +
        `${run.stdout}${run.stderr}`,
    );
  return { name: spec.name, executable: built.executable, core: run.core };
}
