import { mkdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { formatAnalysis } from '../../src/analyze/analysis-text.js';
import { analyzeCore } from '../../src/analyze/analyze-core.js';
import { EXIT, UserError } from '../../src/errors.js';
import { FileReader } from '../../src/io/file-reader.js';
import { projectRoot } from '../../src/paths.js';
import { runUnderLimits } from '../../src/run/run-under-limits.js';
import { buildProgram } from '../../src/toolchain/build.js';
import { findToolchain } from '../../src/toolchain/ocamlfind.js';
import { parse } from '../args.js';

const root = projectRoot();

export async function demoCommand(args: string[]): Promise<number> {
  parse({ args, strict: true, options: {} });
  const toolchain = await findToolchain();
  const dir = resolve('artifacts', 'demo');
  await mkdir(dir, { recursive: true });
  const built = await buildProgram({
    toolchain,
    sources: [
      join(root, 'ocaml-cases/_stub/lwtr_stubs.c'),
      join(root, 'ocaml-cases/_stub/lwtr_reset.ml'),
      join(root, 'ocaml-cases/wakeup-chain/case.ml'),
    ],
    packages: ['lwt'],
    workDir: dir,
    output: 'wakeup-chain',
  });
  if (!built.ok)
    throw new UserError(
      `building the demo against the installed Lwt failed: ${built.error}`,
      EXIT.toolchain,
      'Install Lwt for this compiler (Debian: apt-get install liblwt-ocaml-dev, or ./setup)',
    );
  process.stdout.write(
    `built ${relative('.', built.executable)} with OCaml ${toolchain.ocamlVersion}; ` +
      'running it with 1,000,000 links under a 1 MiB stack\n',
  );
  const run = await runUnderLimits({
    executable: built.executable,
    args: ['1000000'],
    cwd: dir,
    stackKiB: 1024,
    timeoutMs: 120_000,
    capture: 'auto',
  });
  if (!run.core) {
    const note = run.capture.note ? ` (${run.capture.note})` : '';
    process.stdout.write(
      `no core: exit ${run.exitCode ?? '-'}, signal ${run.signal ?? '-'}${note}\n${run.stdout}${run.stderr}`,
    );
    return EXIT.failed;
  }
  const exe = FileReader.open(built.executable, 'executable');
  const core = FileReader.open(run.core, 'core');
  try {
    const reproduce = `lwt-regress analyze ${relative('.', built.executable)} ${relative('.', run.core)}`;
    process.stdout.write(`${formatAnalysis(analyzeCore(exe, core).report)}\n\nreproduce: ${reproduce}\n`);
  } finally {
    exe.close();
    core.close();
  }
  return EXIT.ok;
}
