#!/usr/bin/env node
import { EXIT, pathError, UserError } from '../src/errors.js';
import { usageError } from './args.js';
import { REPORT_HELP } from './report-outputs.js';
import { SELECTION_HELP } from './selection.js';

const USAGE = `usage: lwt-regress <command> [options]

commands:
  analyze <executable> <core> [--json] [--mode exact|scan] [--max-frames N]
      Find the recurring call cycle in the core of a crashed OCaml program.
  run [--lwt V[,V...]] [--case NAME[,NAME...]] [--json] [options]
      Build the cases against each Lwt, run them under a small stack, analyze the cores,
      and check each against its expectation. Options:
${SELECTION_HELP}
${REPORT_HELP}
  gate --baseline V_OLD --candidate V_NEW [--baseline-src DIR] [--candidate-src DIR] [--json] [options]
      Run every case on both and fail on transitions: clean before and crashing after, or an
      expectation the candidate breaks. Exit 0 pass, 1 blocked, 9 something untestable.
      Takes the options of run (but --lwt) and the report options.
  bisect --case NAME --good V1 --bad V2 [--find-fix] [--versions a,b,c | --lwt-git URL | --opam-root DIR] [--json]
      Find the first Lwt version where the case crashes (with --find-fix: the first where it is clean),
      over the versions between V1 and V2 (given, the repository's tags, or opam's list).
  bisect --commits --lwt-git URL --case NAME --good REF1 --bad REF2 [--find-fix] [--json]
      The same over commits, driving git bisect run (untestable commits are skipped).
  check [--expect clean|cycle] [--frames A,B] [--stack KIB] [--json|--junit F] -- PROGRAM [ARGS...]
      Run a program you built (against whatever Lwt it was linked with) under a small stack,
      analyze its core if it dies, and judge it (default: it must not overflow).
  report --merge A.json B.json ... [--markdown F] [--html F] [--junit F] [--json]
      Merge the --json results of the shards of a run or a gate (--shard I/N) into one report.
  demo
      Build the wakeup-chain case against the installed Lwt, crash it under a 1 MiB stack,
      and analyze its core; keeps binary and core under artifacts/demo/.

exit codes: 0 done, 1 failed verdict, 2 usage, 3 unreadable file, 4 not an x86-64 ELF file,
            5 truncated or corrupt file, 6 core not from this executable, 7 no stack in the core,
            8 missing or unusable tool (ocamlfind, gdb, opam, git), 9 nothing failed but something was untestable,
            10 no space left, read-only or not writable, 130/143 interrupted (SIGINT/SIGTERM)`;

type Command = (args: string[]) => number | Promise<number>;

// Loaded on demand: `analyze` must start fast, and the build and run commands pull in execa.
const COMMANDS: Record<string, () => Promise<Command>> = {
  analyze: async () => (await import('./commands/analyze.js')).analyzeCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  run: async () => (await import('./commands/run.js')).runCommand,
  bisect: async () => (await import('./commands/bisect.js')).bisectCommand,
  'bisect-probe': async () => (await import('./commands/bisect.js')).bisectProbeCommand,
  gate: async () => (await import('./commands/gate.js')).gateCommand,
  check: async () => (await import('./commands/check.js')).checkCommand,
  report: async () => (await import('./commands/report.js')).reportCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Commands that start processes end them all on an interrupt; `analyze` starts none and must start fast.
  if (command !== 'analyze') {
    (await import('../src/run/interrupt.js')).installInterruptHandlers();
    (await import('../src/progress.js')).onProgress((line) => process.stderr.write(`lwt-regress: ${line}\n`));
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  try {
    const load = COMMANDS[command];
    if (!load) throw usageError(`unknown command '${command}'`);
    return await (await load())(rest);
  } catch (error) {
    // A full disk or a read-only place met anywhere (a cache write, a report) is one line, not a stack trace.
    const known = error instanceof UserError ? error : pathError(error);
    if (known) {
      process.stderr.write(`lwt-regress: ${known.describe()}\n`);
      return known.exitCode;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
