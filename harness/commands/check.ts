import { access, constants, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatAnalysis } from '../../src/analyze/analysis-text.js';
import type { Expectation } from '../../src/cases/manifest.js';
import { EXIT, UserError } from '../../src/errors.js';
import { ensureWritableDir } from '../../src/io/writable.js';
import { type JudgedRun, judgeRun } from '../../src/probe/judge-run.js';
import { keepSigsegvLibrary } from '../../src/probe/keep-sigsegv.js';
import { checkJUnit } from '../../src/report/junit.js';
import type { CaptureMethod } from '../../src/run/run-under-limits.js';
import { shellWords } from '../../src/text/shell-words.js';
import { parse, positiveInteger, usageError } from '../args.js';
import { exitCodeForResults } from '../exit-code.js';
import { checkReportPaths } from '../report-outputs.js';

/** `lwt-regress check -- PROGRAM ARGS`: one built program, run, analysed and judged. */
export async function checkCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      expect: { type: 'string' },
      frames: { type: 'string' },
      stack: { type: 'string' },
      timeout: { type: 'string' },
      capture: { type: 'string' },
      artifacts: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      junit: { type: 'string' },
    },
  });
  const [program, ...programArgs] = positionals;
  if (!program) throw usageError('check needs the program to run after --: lwt-regress check -- ./selftest.exe 100000');
  const outcome = values.expect ?? 'clean';
  if (outcome !== 'clean' && outcome !== 'cycle') throw usageError(`--expect must be clean or cycle, not '${outcome}'`);
  const frames =
    values.frames
      ?.split(',')
      .map((f) => f.trim())
      .filter(Boolean) ?? [];
  if (frames.length > 0 && outcome !== 'cycle')
    throw usageError('--frames names the frames of a cycle: add --expect cycle');
  const capture = (values.capture ?? 'auto') as CaptureMethod;
  if (!['kernel', 'gdb', 'auto'].includes(capture))
    throw usageError(`--capture must be kernel, gdb or auto, not '${capture}'`);
  const stackKiB = positiveInteger('--stack', values.stack) ?? 1024;
  const timeoutMs = (positiveInteger('--timeout', values.timeout) ?? 60) * 1000;
  const executable = await runnable(program);
  const artifacts = resolve(values.artifacts ?? 'artifacts');
  await checkReportPaths({ junit: values.junit });
  await ensureWritableDir(artifacts, 'the artifacts directory', 'Point --artifacts at a writable directory');

  const expected: Expectation = { lwt: '*', outcome, frames, why: '' };
  const reproduce = shellWords(['lwt-regress', 'check', ...args]);
  const request = {
    executable,
    args: programArgs,
    expected,
    stackKiB,
    timeoutMs,
    keepIn: resolve(artifacts, 'check', executable.split('/').pop()!),
    header: `lwt-regress check: ${shellWords([program, ...programArgs])}`,
    reproduce,
    cleanWhen: 'exit-0' as const,
  };
  // As for the cases lwt-regress builds, SIGSEGV keeps its default action, so that an overflow dumps a core
  // even where Lwt would catch the Stack_overflow in a callback and carry on.
  const preload = await keepSigsegvLibrary();
  let judged = await judgeRun({ ...request, capture, ...(preload.ok ? { preload: preload.path } : {}) });
  let rerun = false;
  // The handler was installed anyway (a static program): under gdb, the first SIGSEGV is a core.
  if (capture === 'auto' && judged.observed.outcome === 'overflow-exception' && judged.observed.depth === null) {
    const underGdb = await judgeRun({ ...request, capture: 'gdb' });
    if (underGdb.analysis) {
      judged = underGdb;
      rerun = true;
    }
  }
  const code = exitCodeForResults([judged]);
  if (values.junit) await writeFile(resolve(values.junit), checkJUnit(shellWords([program, ...programArgs]), judged));
  if (values.json) {
    const json = {
      schema: 'lwt-regress/check',
      schemaVersion: 1,
      program: [program, ...programArgs],
      expected,
      rerunUnderGdb: rerun,
      ...withoutAnalysis(judged),
      analysis: judged.analysis ?? null,
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    process.stdout.write(`${describe(judged, expected, rerun)}\n`);
  }
  return code;
}

/** The program must exist and be executable: otherwise one line, exit 3, before anything runs. */
async function runnable(program: string): Promise<string> {
  const path = resolve(program);
  const s = await stat(path).catch(() => undefined);
  if (!s?.isFile()) {
    throw new UserError(`the program ${program} does not exist`, EXIT.unreadable, 'Build it first, or give its path');
  }
  await access(path, constants.X_OK).catch(() => {
    throw new UserError(`the program ${program} is not executable`, EXIT.unreadable, `chmod +x ${program}`);
  });
  return path;
}

function withoutAnalysis(j: JudgedRun) {
  const { analysis: _analysis, runMs, analyzeMs, ...rest } = j;
  return { ...rest, timings: { runMs, analyzeMs } };
}

function describe(j: JudgedRun, expected: Expectation, rerun: boolean): string {
  const head =
    j.status === 'pass'
      ? `PASS: ${expected.outcome === 'clean' ? 'no stack overflow' : 'the expected cycle'}: ${j.observed.summary}`
      : j.status === 'fail'
        ? `FAIL: ${j.reason}`
        : `UNTESTABLE: ${j.reason}`;
  const lines = [head];
  if (rerun) lines.push("  (the program kept OCaml's own SIGSEGV handler; it was run again under gdb for a core)");
  if (j.observed.outcome === 'overflow-exception' && !j.analysis) {
    lines.push(
      '  no core: the overflow ended as an uncaught exception; --capture gdb stops at the overflow and writes one',
    );
  }
  for (const note of j.notes) lines.push(`  note: ${note}`);
  if (j.artifacts) lines.push(`  kept: ${j.artifacts}`);
  if (j.analysis) lines.push('', formatAnalysis(j.analysis));
  return lines.join('\n');
}
