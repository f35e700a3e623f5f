import { resolve } from 'node:path';
import { CASES_DIR } from '../src/cases/load-cases.js';
import { parseShard } from '../src/probe/shard.js';
import type { SuiteRequest } from '../src/probe/suite.js';
import type { ProjectFile } from '../src/project/project-file.js';
import { positiveInteger, usageError } from './args.js';

/** The options that choose what to probe, shared by `lwt-regress run` and `npm test`. */
export const SELECTION_OPTIONS = {
  lwt: { type: 'string', multiple: true },
  case: { type: 'string', multiple: true },
  cases: { type: 'string', multiple: true },
  stack: { type: 'string' },
  switch: { type: 'string' },
  ocaml: { type: 'string' },
  'opam-root': { type: 'string' },
  'lwt-git': { type: 'string' },
  'lwt-src': { type: 'string' },
  capture: { type: 'string' },
  timeout: { type: 'string' },
  artifacts: { type: 'string' },
  shard: { type: 'string' },
  policy: { type: 'string' },
} as const;

/** Each selection option's help, so that a command lists only the options it takes. */
const SELECTION_OPTION_HELP: Record<keyof typeof SELECTION_OPTIONS, string> = {
  lwt: `  --lwt V[,V...]        Lwt versions: 'installed' (default), a version (tried as the installed Lwt,
                        then opam, then the upstream git repository), 'opam:V' (opam only),
                        or with --lwt-git any tag or commit`,
  case: '  --case NAME[,NAME...] only these cases (default: all)',
  cases: `  --cases DIR[,DIR...]  take the cases from these directories (one directory per case) instead
                        of the built-in ones in ocaml-cases/ (default: lwt-regress.json's "cases")`,
  stack: '  --stack KIB           stack limit for the runs, in KiB (default 1024)',
  switch: "  --switch NAME         build with this opam switch's compiler (default: ocamlfind on PATH)",
  ocaml: `  --ocaml DIR           build with the compiler installed in DIR (DIR/bin/ocamlopt, and its own
                        findlib if it has one); npm run ocaml -- 5.3.0 builds one and prints DIR`,
  'opam-root': "  --opam-root DIR       the opam root to fetch sources of Lwt and its libraries from (default: opam's)",
  'lwt-git': '  --lwt-git URL|PATH    take Lwt from this git repository (tags or commits in --lwt)',
  'lwt-src': '  --lwt-src DIR         take Lwt from this source tree (--lwt names its version if the tree does not)',
  capture: `  --capture MODE        how to get cores: kernel, gdb or auto (default auto: kernel where
                        core_pattern names a file, gdb where it is a pipe)`,
  timeout: '  --timeout SECONDS     a run that lasts longer is a hang (default 60)',
  artifacts: '  --artifacts DIR       where failing runs keep binary, core and log (default ./artifacts)',
  policy: `  --policy P            expectations (default): a case fails when it does not do what its case.json
                        expects of that Lwt; no-overflow: any stack overflow fails, expected or not`,
  shard: `  --shard I/N           only the I-th of N parts of the version × case matrix (for a CI job matrix;
                        merge the parts' --json with lwt-regress report --merge)`,
};

/** The help of the selection options, but those a command does not take. */
export function selectionHelp(without: (keyof typeof SELECTION_OPTIONS)[] = []): string {
  return Object.entries(SELECTION_OPTION_HELP)
    .filter(([option]) => !without.includes(option as keyof typeof SELECTION_OPTIONS))
    .map(([, help]) => help)
    .join('\n');
}

const MAX_TIMEOUT_S = 24 * 3600;

export interface SelectionValues {
  lwt?: string[];
  case?: string[];
  cases?: string[];
  stack?: string;
  switch?: string;
  ocaml?: string;
  'opam-root'?: string;
  'lwt-git'?: string;
  'lwt-src'?: string;
  capture?: string;
  timeout?: string;
  artifacts?: string;
  shard?: string;
  policy?: string;
}

const list = (values: string[] | undefined) =>
  values
    ?.flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);

/**
 * The suite the flags ask for, with the project file's settings where no
 * flag is given. Cases: the directories of --cases, else of the project
 * file; the built-in ones too when the project says `"builtin": true`, or
 * when no case directory is named at all.
 */
export function toSuiteRequest(values: SelectionValues, project?: ProjectFile): SuiteRequest {
  const capture = values.capture ?? 'auto';
  if (capture !== 'kernel' && capture !== 'gdb' && capture !== 'auto')
    throw usageError(`--capture must be kernel, gdb or auto, not '${capture}'`);
  const stackKiB = positiveInteger('--stack', values.stack) ?? project?.stack ?? 1024;
  if (stackKiB < 64)
    throw usageError(`--stack ${stackKiB} is too small for any program to start; use at least 64 (KiB)`);
  const timeout = positiveInteger('--timeout', values.timeout) ?? project?.timeout ?? 60;
  // Node's timers hold at most 2^31-1 ms; a day is far beyond any case and well inside that.
  if (timeout > MAX_TIMEOUT_S)
    throw usageError(`--timeout ${timeout} is more than a day; use at most ${MAX_TIMEOUT_S} (seconds)`);
  const versions = list(values.lwt) ?? (values['lwt-git'] || values['lwt-src'] ? undefined : project?.lwt) ?? [];
  const specs = versions.length > 0 ? versions : [values['lwt-src'] ? 'source' : 'installed'];
  if (values.ocaml && values.switch) throw usageError('--ocaml and --switch name two different compilers; give one');
  if (values['lwt-git'] && values['lwt-src'])
    throw usageError('--lwt-git and --lwt-src name two different sources; give one');
  if (values['lwt-git'] && !list(values.lwt)?.length)
    throw usageError('--lwt-git needs --lwt with the tags or commits to take');
  const policy = values.policy ?? project?.policy ?? 'expectations';
  if (policy !== 'expectations' && policy !== 'no-overflow')
    throw usageError(`--policy must be expectations or no-overflow, not '${policy}'`);
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  if (values.shard !== undefined && !shard)
    throw usageError(`--shard must be I/N with 1 <= I <= N, not '${values.shard}'`);
  return {
    ...(shard ? { shard } : {}),
    toolchain: { opamSwitch: values.switch, opamRoot: values['opam-root'], ocaml: values.ocaml },
    lwt: specs.map((spec) => ({ spec, git: values['lwt-git'], src: values['lwt-src'], opamRoot: values['opam-root'] })),
    cases: list(values.case),
    caseDirs: caseDirectories(values, project),
    settings: {
      stackKiB,
      capture,
      timeoutMs: timeout * 1000,
      artifactsDir: resolve(values.artifacts ?? 'artifacts'),
      policy,
      ...(project?.sources ? { sources: project.sources } : {}),
      ...(values['opam-root'] ? { opamRoot: resolve(values['opam-root']) } : {}),
    },
  };
}

/** The case directories: --cases, else the project file's, and the built-in ones as the project says (or alone). */
export function caseDirectories(values: Pick<SelectionValues, 'cases'>, project: ProjectFile | undefined): string[] {
  const named = list(values.cases)?.map((d) => resolve(d)) ?? project?.cases ?? [];
  const builtin = project?.builtin ?? named.length === 0;
  return [...named, ...(builtin ? [CASES_DIR] : [])];
}
