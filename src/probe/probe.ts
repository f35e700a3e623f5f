import { dirname, join, resolve } from 'node:path';
import { digest } from '../cache/digest.js';
import { CASES_DIR, type Case, type InvalidCase } from '../cases/load-cases.js';
import { type Expectation, expectationFor, type KnownOverflow, knownOverflow, programArgs } from '../cases/manifest.js';
import type { ExitCode } from '../errors.js';
import type { LwtBuild, LwtBuildResult } from '../lwt/lwt-build.js';
import type { LwtSource } from '../lwt/source.js';
import { inRange } from '../lwt/version.js';
import type { Failure, Result } from '../result.js';
import type { CaptureMethod } from '../run/run-under-limits.js';
import { shellWords } from '../text/shell-words.js';
import type { Toolchain } from '../toolchain/ocamlfind.js';
import type { DependentProblem } from '../world/dependents.js';
import { casePackages, type WorldPlaces, worldFor } from '../world/world.js';
import { caseBinary } from './case-binary.js';
import { duneBinary } from './dune-binary.js';
import { judgeRun } from './judge-run.js';
import { keepSigsegvLibrary } from './keep-sigsegv.js';
import { type Observation, overflowed } from './verdict.js';

/** `invalid`: the case's manifest cannot be used, so nothing was probed. */
export type ProbeStatus = 'pass' | 'fail' | 'not-applicable' | 'untestable' | 'invalid';

export interface ProbeSettings extends WorldPlaces {
  stackKiB: number;
  capture: CaptureMethod;
  timeoutMs: number;
  /** Where failing runs keep their binary, core and log. */
  artifactsDir: string;
  /**
   * `expectations` (the default): a case fails when it does not do what its
   * manifest expects of this Lwt. `no-overflow`: any stack overflow fails too,
   * expected or not, for teams whose gate is "no overflow at all".
   */
  policy?: 'expectations' | 'no-overflow';
}

export interface ProbeResult {
  lwt: { version: string; label: string; origin: LwtSource['origin']; commit: string | null };
  /** The compiler's version (`ocamlopt -version`). */
  ocaml: string;
  /** Which compiler built it, and who chose it (with why, when lwt-regress chose another than the default). */
  compiler: ProbeCompiler;
  case: string;
  status: ProbeStatus;
  expected: Expectation | null;
  observed: Observation | null;
  /** Why it failed, was not applicable or untestable; for a pass, why the expectation holds. */
  reason: string;
  timings: { buildMs: number; runMs: number; analyzeMs: number; totalMs: number };
  /** How the core was captured, when the run died of a signal. */
  capture: 'kernel' | 'gdb' | null;
  /** Whether the Lwt build and the case binary came from the cache (null when nothing was built). */
  cached: { lwt: boolean; case: boolean } | null;
  /** Kept binary, core and log of a run that did not pass. */
  artifacts: string | null;
  /** What a reader should know besides the verdict: output cut, processes left behind, evidence not kept. */
  notes: string[];
  /** The command that runs this probe again. */
  reproduce: string;
  /** When this Lwt is expected to overflow in this case: the overflow's name and the version that fixed it. */
  known: KnownOverflow | null;
  /**
   * For an untestable probe whose cause is the machine's, not the tree's (the
   * compiler it needs could not be built): the exit code that says so, 8 or 10.
   */
  machineExit?: ExitCode;
  /** For a probe untestable because a package built on Lwt could not be rebuilt against this Lwt: which, and why. */
  dependent?: DependentProblem;
}

export interface ProbeCompiler {
  /** `4.13.1`, or a compiler lwt-regress built: `4.13.1+unsafe-string`. */
  name: string;
  version: string;
  chosenBy: Toolchain['chosenBy'];
  /** Where it is: "ocamlfind on PATH", "opam switch 4.14.2", "--ocaml /opt/ocaml". */
  description: string;
  why?: string;
}

/** The compiler a toolchain stands for in a result. */
export function compilerOf(toolchain: Toolchain): ProbeCompiler {
  return {
    name: toolchain.name,
    version: toolchain.ocamlVersion,
    chosenBy: toolchain.chosenBy,
    description: toolchain.description,
    ...(toolchain.why ? { why: toolchain.why } : {}),
  };
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '');

/** The command that runs this probe again, ready to paste into a shell. */
export function reproduceCommand(
  toolchain: Toolchain,
  source: LwtSource,
  testCase: Case,
  settings: ProbeSettings,
): string {
  const where = dirname(testCase.dir);
  const cases = where === CASES_DIR ? [] : ['--cases', where];
  const name = testCase.manifest.name;
  return shellWords([
    'lwt-regress',
    'run',
    ...toolchain.reproduce,
    ...source.reproduce,
    ...cases,
    '--case',
    name,
    '--stack',
    String(settings.stackKiB),
  ]);
}

type Program =
  | Result<{ executable: string; args: string[]; cached: boolean; preload?: string }>
  | (Failure & { dependent: DependentProblem });

/**
 * The program a probe runs: the case compiled by lwt-regress (with its own
 * SIGSEGV reset linked first), a dune target built against this Lwt, or a
 * command's program as it is; the last two get the reset by preloading.
 */
async function programFor(
  testCase: Case,
  source: LwtSource,
  built: LwtBuild,
  toolchain: Toolchain,
  settings: ProbeSettings,
): Promise<Program> {
  const { program, args, size } = testCase.manifest;
  const lwt = await withWorld(testCase, source, built, toolchain, settings);
  if (!lwt.ok) return lwt;
  if (program.kind === 'ocaml') {
    const binary = await caseBinary(testCase, lwt.build, toolchain);
    return binary.ok ? { ...binary, args: programArgs(args, size.default) } : binary;
  }
  const preload = await keepSigsegvLibrary(toolchain);
  if (!preload.ok) return preload;
  if (program.kind === 'dune') {
    const binary = await duneBinary(testCase, lwt.build, toolchain);
    if (!binary.ok) return binary;
    return { ...binary, args: programArgs(args, size.default), cached: false, preload: preload.path };
  }
  const [first, ...rest] = program.argv;
  return {
    ok: true,
    executable: resolve(testCase.dir, first!),
    args: programArgs(rest, size.default),
    cached: true,
    preload: preload.path,
  };
}

/**
 * The Lwt build with the packages the case links that depend on Lwt rebuilt
 * against it (src/world/): its key then names them too, so that binaries
 * built against one world are not taken for another's.
 */
async function withWorld(
  testCase: Case,
  source: LwtSource,
  lwt: LwtBuild,
  toolchain: Toolchain,
  places: WorldPlaces,
): Promise<Result<{ build: LwtBuild }> | (Failure & { dependent: DependentProblem })> {
  if (testCase.manifest.program.kind === 'command') return { ok: true, build: lwt };
  const world = await worldFor(toolchain, source, lwt, await casePackages([testCase]), places);
  if (!world.ok) return world;
  if (world.paths.length === 0) return { ok: true, build: lwt };
  return { ok: true, build: { ...lwt, key: digest([lwt.key, world.paths]), world: world.paths } };
}

/** The result standing for a case whose manifest is broken, on this Lwt: nothing ran. */
export function invalidResult(toolchain: Toolchain, source: LwtSource, invalid: InvalidCase): ProbeResult {
  return {
    lwt: { version: source.version, label: source.label, origin: source.origin, commit: source.commit ?? null },
    ocaml: toolchain.ocamlVersion,
    compiler: compilerOf(toolchain),
    case: invalid.name,
    status: 'invalid',
    expected: null,
    observed: null,
    reason: `invalid case: ${invalid.why} (${invalid.dir}/case.json)`,
    timings: { buildMs: 0, runMs: 0, analyzeMs: 0, totalMs: 0 },
    capture: null,
    cached: null,
    artifacts: null,
    notes: [],
    reproduce: '',
    known: null,
  };
}

/** What every result of one probe shares, whatever stage it ended at. */
interface ProbeContext {
  toolchain: Toolchain;
  source: LwtSource;
  name: string;
  reproduce: string;
  started: number;
  timings: ProbeResult['timings'];
}

/** The probe's result; what a stage it did not reach would have filled stays empty. */
function resultOf(
  context: ProbeContext,
  status: ProbeStatus,
  reason: string,
  extra: Partial<ProbeResult> = {},
): ProbeResult {
  const { source, toolchain } = context;
  return {
    lwt: { version: source.version, label: source.label, origin: source.origin, commit: source.commit ?? null },
    ocaml: toolchain.ocamlVersion,
    compiler: compilerOf(toolchain),
    case: context.name,
    status,
    expected: null,
    observed: null,
    reason,
    timings: { ...context.timings, totalMs: performance.now() - context.started },
    cached: null,
    capture: null,
    artifacts: null,
    notes: [],
    reproduce: context.reproduce,
    known: null,
    ...extra,
  };
}

/** What the case expects of this Lwt and compiler, or why it does not apply to them. */
function applicableExpectation(
  testCase: Case,
  source: LwtSource,
  toolchain: Toolchain,
): Result<{ expected: Expectation }> {
  const asBuilt = testCase.manifest.program.kind === 'command';
  if (!asBuilt && !inRange(source.version, testCase.manifest.needs))
    return { ok: false, error: `needs Lwt ${testCase.manifest.needs}` };
  // A command's expectations are all for "*": its Lwt is whatever it was linked with.
  const expected = asBuilt
    ? testCase.manifest.expect[0]
    : expectationFor(testCase.manifest, source.version, toolchain.ocamlVersion);
  if (!expected)
    return {
      ok: false,
      error: `case.json has no expectation for Lwt ${source.version} with OCaml ${toolchain.ocamlVersion}`,
    };
  return { ok: true, expected };
}

/** One probe: (toolchain, Lwt, case) → build → run under limits → analyze → verdict. */
export async function probe(
  toolchain: Toolchain,
  source: LwtSource,
  lwt: LwtBuildResult,
  testCase: Case,
  settings: ProbeSettings,
): Promise<ProbeResult> {
  const name = testCase.manifest.name;
  const reproduce = reproduceCommand(toolchain, source, testCase, settings);
  const timings = { buildMs: 0, runMs: 0, analyzeMs: 0, totalMs: 0 };
  const context = { toolchain, source, name, reproduce, started: performance.now(), timings };
  const applicable = applicableExpectation(testCase, source, toolchain);
  if (!applicable.ok) return resultOf(context, 'not-applicable', applicable.error);
  const { expected } = applicable;
  timings.buildMs = lwt.ms;
  if (!lwt.ok) return resultOf(context, 'untestable', `Lwt ${source.label} does not build: ${lwt.error}`, { expected });
  const buildStarted = performance.now();
  const binary = await programFor(testCase, source, lwt.build, toolchain, settings);
  timings.buildMs += performance.now() - buildStarted;
  if (!binary.ok) {
    const why = `the case does not build against Lwt ${source.label}: ${binary.error}`;
    return resultOf(context, 'untestable', why, {
      expected,
      ...('dependent' in binary ? { dependent: binary.dependent } : {}),
    });
  }
  const judged = await judgeRun({
    executable: binary.executable,
    args: binary.args,
    preload: binary.preload,
    expected,
    stackKiB: settings.stackKiB,
    capture: settings.capture,
    timeoutMs: settings.timeoutMs,
    keepIn: join(settings.artifactsDir, safe(source.label), name),
    fibers: toolchain.fibers,
    header: `lwt-regress: Lwt ${source.label}, case ${name}`,
    reproduce,
  });
  timings.runMs = judged.runMs;
  timings.analyzeMs = judged.analyzeMs;
  const { observed, capture, notes, artifacts } = judged;
  const known = knownOverflow(testCase.manifest, expected);
  const seen = {
    expected,
    observed,
    cached: { lwt: lwt.cached, case: binary.cached },
    capture,
    notes,
    artifacts,
    known,
  };
  if (judged.status === 'pass' && settings.policy === 'no-overflow' && overflowed(observed)) {
    const why = `a stack overflow, which --policy no-overflow does not allow: ${observed.summary}`;
    return resultOf(context, 'fail', why, seen);
  }
  const reason = judged.status === 'pass' ? expected.why || `${expected.outcome} as expected` : judged.reason;
  return resultOf(context, judged.status, reason, seen);
}
