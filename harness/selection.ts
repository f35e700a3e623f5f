import { resolve } from 'node:path';
import type { SuiteRequest } from '../src/probe/suite.js';
import { positiveInteger, usageError } from './args.js';

/** The options that choose what to probe, shared by `lwt-regress run` and `npm test`. */
export const SELECTION_OPTIONS = {
  lwt: { type: 'string', multiple: true },
  case: { type: 'string', multiple: true },
  stack: { type: 'string' },
  switch: { type: 'string' },
  ocaml: { type: 'string' },
  'opam-root': { type: 'string' },
  'lwt-git': { type: 'string' },
  'lwt-src': { type: 'string' },
  capture: { type: 'string' },
  timeout: { type: 'string' },
  artifacts: { type: 'string' },
} as const;

export const SELECTION_HELP = `  --lwt V[,V...]        Lwt versions: 'installed' (default), a version (tried as the installed Lwt,
                        then opam, then the upstream git repository), 'opam:V' (opam only),
                        or with --lwt-git any tag or commit
  --case NAME[,NAME...] cases from ocaml-cases/ (default: all)
  --stack KIB           stack limit for the runs, in KiB (default 1024)
  --switch NAME         build with this opam switch's compiler (default: ocamlfind on PATH)
  --ocaml DIR           build with the compiler installed in DIR (DIR/bin/ocamlopt, and its own
                        findlib if it has one); npm run ocaml -- 5.3.0 builds one and prints DIR
  --opam-root DIR       the opam root to fetch Lwt sources from (default: opam's own)
  --lwt-git URL|PATH    take Lwt from this git repository (tags or commits in --lwt)
  --lwt-src DIR         take Lwt from this source tree (--lwt names its version if the tree does not)
  --capture MODE        how to get cores: kernel, gdb or auto (default auto: kernel where
                        core_pattern names a file, gdb where it is a pipe)
  --timeout SECONDS     a run that lasts longer is a hang (default 60)
  --artifacts DIR       where failing runs keep binary, core and log (default ./artifacts)`;

export interface SelectionValues {
  lwt?: string[];
  case?: string[];
  stack?: string;
  switch?: string;
  ocaml?: string;
  'opam-root'?: string;
  'lwt-git'?: string;
  'lwt-src'?: string;
  capture?: string;
  timeout?: string;
  artifacts?: string;
}

const list = (values: string[] | undefined) =>
  values
    ?.flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);

export function toSuiteRequest(values: SelectionValues): SuiteRequest {
  const capture = values.capture ?? 'auto';
  if (capture !== 'kernel' && capture !== 'gdb' && capture !== 'auto')
    throw usageError(`--capture must be kernel, gdb or auto, not '${capture}'`);
  const stackKiB = positiveInteger('--stack', values.stack) ?? 1024;
  if (stackKiB < 64)
    throw usageError(`--stack ${stackKiB} is too small for any program to start; use at least 64 (KiB)`);
  const timeout = positiveInteger('--timeout', values.timeout) ?? 60;
  const versions = list(values.lwt) ?? [];
  const specs = versions.length > 0 ? versions : [values['lwt-src'] ? 'source' : 'installed'];
  if (values.ocaml && values.switch) throw usageError('--ocaml and --switch name two different compilers; give one');
  if (values['lwt-git'] && values['lwt-src'])
    throw usageError('--lwt-git and --lwt-src name two different sources; give one');
  if (values['lwt-git'] && !list(values.lwt)?.length)
    throw usageError('--lwt-git needs --lwt with the tags or commits to take');
  return {
    toolchain: { opamSwitch: values.switch, opamRoot: values['opam-root'], ocaml: values.ocaml },
    lwt: specs.map((spec) => ({ spec, git: values['lwt-git'], src: values['lwt-src'], opamRoot: values['opam-root'] })),
    cases: list(values.case),
    settings: { stackKiB, capture, timeoutMs: timeout * 1000, artifactsDir: resolve(values.artifacts ?? 'artifacts') },
  };
}
