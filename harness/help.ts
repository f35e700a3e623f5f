/**
 * Every command's help, apart from the commands themselves: `lwt-regress
 * <command> --help` must answer without loading what the command needs to run.
 */
import { REPORT_HELP } from './report-outputs.js';
import { selectionHelp } from './selection.js';

export const EXIT_CODES = `exit codes: 0 done, 1 failed verdict, 2 usage, 3 unreadable file, 4 not an x86-64 ELF file,
            5 truncated or corrupt file, 6 core not from this executable, 7 no stack in the core,
            8 missing or unusable tool (ocamlfind, gdb, opam, git, dune), 9 nothing failed but something
            was untestable, 10 no space left, read-only or not writable, 11 a fetch failed (network),
            130/143 interrupted (SIGINT/SIGTERM)`;

const OUTPUT_HELP = `  --json                the result as JSON on stdout (documented in docs/)
  --quiet               no progress lines on stderr`;

export const COMMAND_HELP: Record<string, { summary: string; usage: string }> = {
  run: {
    summary: 'build the cases against each Lwt, crash them under a small stack, and judge them',
    usage: `usage: lwt-regress run [--lwt V[,V...]] [--case NAME[,NAME...]] [options]

Builds every case against each Lwt, runs it under a small stack, analyses its core, and checks it
against what its case.json expects of that Lwt. Exit 0 all passed, 1 a case failed, 2 an invalid
case, 9 something untestable.

${selectionHelp()}
${REPORT_HELP}
${OUTPUT_HELP}`,
  },
  gate: {
    summary: 'does the upgrade from one Lwt to another bring back a stack overflow?',
    usage: `usage: lwt-regress gate --baseline V_OLD --candidate V_NEW [options]

Runs every case on both and fails on transitions: clean before and crashing after, or an
expectation the candidate breaks. Exit 0 pass, 1 blocked, 2 an invalid case, 9 something untestable.

  --baseline V          the Lwt in use: a version, installed, opam:V, or a ref of --lwt-git
  --candidate V         the Lwt to upgrade to
  --baseline-src DIR    take the baseline from a source tree (--baseline then names its version)
  --candidate-src DIR   take the candidate from a source tree
${selectionHelp(['lwt', 'lwt-src'])}
${REPORT_HELP}
${OUTPUT_HELP}`,
  },
  bisect: {
    summary: 'which Lwt release, or which commit, brought a crash (or fixed it)?',
    usage: `usage: lwt-regress bisect --case NAME --good V1 --bad V2 [--find-fix] [options]
       lwt-regress bisect --commits --lwt-git URL --case NAME --good REF1 --bad REF2 [--find-fix] [options]

Finds the first Lwt version (or commit) where the case overflows, or with --find-fix the first
where it is clean. Exit 0 found, 9 untestable versions leave it ambiguous.

  --good V, --bad V     the ends: a version or ref where the case runs clean, and one where it crashes
  --find-fix            look for the fix: --bad is older and crashes, --good newer and clean
  --versions a,b,c      the versions to search (default: the tags of --lwt-git, opam's list, or
                        the upstream repository's tags)
  --commits             search the commits between the two refs of --lwt-git (git bisect run)
  --case NAME           the one case to follow
  --cases DIR           where that case is, when it is not a built-in one
  --lwt-git URL|PATH    the Lwt repository
  --opam-root DIR       the opam root whose repositories list the versions
  --stack KIB, --timeout SECONDS, --capture MODE, --switch NAME, --artifacts DIR: as for run
${OUTPUT_HELP}`,
  },
  env: {
    summary: 'the environment that builds your own service against a Lwt, with the libraries on it rebuilt',
    usage: `usage: lwt-regress env (--lwt V | --lwt-src DIR | --lwt-git URL --lwt REF) [--shell] [PACKAGE...]

Builds that Lwt (with the compiler its tree needs) and the findlib packages built on Lwt that the
project's cases link, or the PACKAGEs given (lwt_react, lwt_log, ...), rebuilt against it; prints
the variables (OCAMLPATH, and the compiler's when lwt-regress chose one) that make dune build or
ocamlfind link exactly that world. Then: eval "$(lwt-regress env --lwt-src DIR --shell)"; dune build;
lwt-regress check -- ./_build/default/... Exit 0, 9 when that Lwt or a package on it does not build.

  --shell               print export lines, for eval
${selectionHelp(['case', 'stack', 'capture', 'timeout', 'artifacts', 'shard', 'policy'])}
${OUTPUT_HELP}`,
  },
  check: {
    summary: 'does this program I built overflow?',
    usage: `usage: lwt-regress check [options] -- PROGRAM [ARGS...]

Runs an OCaml program you built (your service's self-test, against the Lwt it was linked with)
under a small stack, captures its core if it dies, finds the recurring call cycle, and judges it.
Exit 0 when the expectation holds, 1 when it does not, 9 when it cannot be told.

  --expect clean|cycle  what must happen (default clean: no stack overflow)
  --frames A,B          with --expect cycle: names the cycle must hold (e.g. Lwt.resolve)
  --stack KIB           stack limit (default 1024)
  --timeout SECONDS     longer is a hang (default 60)
  --capture MODE        kernel, gdb or auto (default auto). lwt-regress preloads a library that keeps
                        SIGSEGV's default action, so an overflow dumps a core; a program that keeps
                        OCaml's own handler anyway (a static one) turns it into an uncaught
                        Stack_overflow: auto then runs it once more under gdb, which stops at the
                        overflow and writes a core
  --artifacts DIR       where a failing run keeps binary, core and log (default ./artifacts)
  --json                the result as JSON (schema lwt-regress/check)
  --junit FILE          the result as JUnit XML`,
  },
  report: {
    summary: "merge the --json results of a run's or a gate's shards into one report",
    usage: `usage: lwt-regress report --merge A.json B.json ... [--markdown F] [--html F] [--junit F] [--json]

Merges the --json results of the shards of one run or one gate (--shard 1/N … N/N on several CI
jobs) into one report, and exits as the whole run or gate would have.`,
  },
  analyze: {
    summary: 'what is the recurring call cycle in this core, and which known overflow is it?',
    usage: `usage: lwt-regress analyze <executable> <core> [--json] [--mode exact|scan] [--max-frames N]
                               [--cases DIR[,DIR...]]

Reads the core of a crashed OCaml program with the program's own frame tables and prints the
recurring call cycle, its depth, the frames that entered it, and whether it was a stack overflow;
then which known overflow the cycle is, if any: the case whose recorded cycle it matches, the Lwt
versions that have it and the one that fixed it.

  --json                the analysis as JSON (docs/analysis-schema.md)
  --mode exact|scan     exact (default): walk the OCaml frame tables; scan: every word of the stack
                        that is a return address
  --max-frames N        stop the walk after N frames
  --cases DIR[,DIR...]  compare the cycle with these cases instead of the built-in ones in
                        ocaml-cases/ (default: lwt-regress.json's "cases", as for run)`,
  },
  demo: {
    summary: 'one case built, crashed and analyzed, to see the pieces work',
    usage: `usage: lwt-regress demo

Builds the wakeup-chain case against the installed Lwt, crashes it under a 1 MiB stack, and
analyzes its core; keeps binary and core under artifacts/demo/.`,
  },
};

export function overview(version: string): string {
  const width = Math.max(...Object.keys(COMMAND_HELP).map((c) => c.length));
  const lines = Object.entries(COMMAND_HELP).map(([name, h]) => `  ${name.padEnd(width)}  ${h.summary}`);
  return `lwt-regress ${version}: catch Lwt stack-overflow regressions in OCaml programs

usage: lwt-regress <command> [options]       lwt-regress <command> --help   lwt-regress --version

commands:
${lines.join('\n')}

${EXIT_CODES}`;
}
