import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CASES_DIR, type Case, type InvalidCase, loadCases, selectCases } from '../cases/load-cases.js';
import { EXIT, UserError } from '../errors.js';
import { ensureWritableDir } from '../io/writable.js';
import { buildLwt, type LwtBuildResult } from '../lwt/lwt-build.js';
import { resolveLwt } from '../lwt/resolve.js';
import { AS_BUILT, type LwtRequest, type LwtSource } from '../lwt/source.js';
import { cacheRoot } from '../paths.js';
import { findToolchain, type Toolchain, type ToolchainRequest } from '../toolchain/ocamlfind.js';
import { type CompilerFor, CompilerPlan } from './compiler-plan.js';
import { invalidResult, type ProbeResult, type ProbeSettings, probe } from './probe.js';
import { inShard, type Shard, type ShardRecord, shardRecord } from './shard.js';

export interface SuiteRequest {
  toolchain: ToolchainRequest;
  lwt: LwtRequest[];
  cases?: string[];
  /** Directories of cases; the built-in ones when not given. */
  caseDirs?: string[];
  settings: ProbeSettings;
  /** Only this part of the version × case matrix (--shard i/n). */
  shard?: Shard;
  /** One compiler for every source, the one the oldest needs (a gate compares like with like). */
  oneCompiler?: boolean;
}

export interface PreparedSuite {
  /** The compiler the user named, or the default one: what the installed Lwt and most trees are built with. */
  toolchain: Toolchain;
  /** The compiler of each source: the one above, or one a tree needs (built on first use). */
  compilers: CompilerPlan;
  sources: LwtSource[];
  cases: Case[];
  /** Cases whose manifest cannot be used: each shows up as an `invalid` result, and the others run. */
  invalid: InvalidCase[];
  /** Case directories skipped, for the user to hear about. */
  warnings: string[];
  shard?: Shard;
}

/**
 * The places a run writes to (the cache, the artifacts directory), checked
 * before any build: a read-only or full disk is one line now, not a wrong
 * verdict or a stack trace later.
 */
export async function checkPlaces(settings: ProbeSettings): Promise<void> {
  await ensureWritableDir(cacheRoot(), 'the cache directory', 'Set LWT_REGRESS_CACHE to a writable directory');
  await ensureWritableDir(
    settings.artifactsDir,
    'the artifacts directory',
    'Point --artifacts at a writable directory',
  );
}

/** Everything that can fail on the user's input, checked before any build: places, toolchain, versions, cases. */
export async function prepareSuite(request: SuiteRequest): Promise<PreparedSuite> {
  const dirs = request.caseDirs ?? [CASES_DIR];
  const loaded = selectCases(await loadCases(dirs), request.cases);
  // Nothing to probe is no pass: a green run must have tested something.
  if (loaded.cases.length + loaded.invalid.length === 0)
    throw new UserError(
      `no case found in ${dirs.join(', ')}`,
      EXIT.usage,
      'Give --cases (or "cases" in lwt-regress.json) a directory that holds one directory per case, with its case.json',
    );
  for (const c of loaded.cases) await checkCommand(c);
  await checkPlaces(request.settings);
  const toolchain = await findToolchain(request.toolchain);
  const sources: LwtSource[] = [];
  for (const lwt of request.lwt) sources.push(await resolveLwt(lwt, toolchain));
  const compilers = new CompilerPlan(toolchain, loaded.cases);
  await (request.oneCompiler ? compilers.decideTogether(sources) : compilers.decide(sources));
  return {
    toolchain,
    compilers,
    sources,
    cases: loaded.cases,
    invalid: loaded.invalid,
    warnings: loaded.warnings,
    shard: request.shard,
  };
}

/**
 * The probes of a suite in order, versions × cases (invalid cases first),
 * with this shard's kept. A command case runs once, whatever the versions:
 * its program was built elsewhere, against its own Lwt.
 */
export function probePlan(prepared: PreparedSuite): { source: LwtSource; item: Case | InvalidCase }[] {
  return wholePlan(prepared).filter((_, k) => inShard(k, prepared.shard));
}

/** What a run's JSON records of its shard: the whole plan's probes, by Lwt and case. */
export function runShardRecord(prepared: PreparedSuite): ShardRecord {
  const name = (item: Case | InvalidCase) => ('manifest' in item ? item.manifest.name : item.name);
  return shardRecord(
    prepared.shard,
    wholePlan(prepared).map(({ source, item }) => `${source.label} › ${name(item)}`),
  );
}

function wholePlan(prepared: PreparedSuite): { source: LwtSource; item: Case | InvalidCase }[] {
  const isCommand = (c: Case) => c.manifest.program.kind === 'command';
  const all = [
    ...prepared.sources.flatMap((source) =>
      [...prepared.invalid, ...prepared.cases.filter((c) => !isCommand(c))].map((item) => ({ source, item })),
    ),
    ...prepared.cases.filter(isCommand).map((item) => ({ source: AS_BUILT, item })),
  ];
  return all;
}

/** A command case's program must be there before anything runs: one line, exit 3, naming the fix. */
async function checkCommand(testCase: Case): Promise<void> {
  const program = testCase.manifest.program;
  if (program.kind !== 'command') return;
  const path = resolve(testCase.dir, program.argv[0]!);
  if (!(await stat(path).catch(() => undefined))?.isFile()) {
    throw new UserError(
      `case ${testCase.manifest.name} runs ${path}, which does not exist`,
      EXIT.unreadable,
      'Build it first (e.g. dune build), or fix "command" in its case.json (paths are relative to the case directory)',
    );
  }
}

/** Each Lwt source is built once, then every case is probed against it. */
export async function runSuite(
  prepared: PreparedSuite,
  settings: ProbeSettings,
  onResult?: (r: ProbeResult) => void,
): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  const report = (r: ProbeResult) => {
    results.push(r);
    onResult?.(r);
  };
  const builds = new Map<LwtSource, Promise<LwtBuildResult>>();
  for (const { source, item } of probePlan(prepared)) {
    const compiler = await prepared.compilers.toolchainFor(source);
    const toolchain = compiler.ok ? compiler.toolchain : prepared.toolchain;
    if (!('manifest' in item)) {
      report(invalidResult(toolchain, source, item));
      continue;
    }
    if (!compiler.ok) {
      const unbuilt = { ok: false as const, error: compiler.error, cached: false, ms: 0 };
      report(withoutCompiler(await probe(toolchain, source, unbuilt, item, settings), compiler));
      continue;
    }
    // Each Lwt is built once, when its first probe needs it; its build time is counted on that probe.
    const first = !builds.has(source);
    if (first) builds.set(source, buildLwt(source, toolchain));
    const build = await builds.get(source)!;
    report(await probe(toolchain, source, { ...build, ms: first ? build.ms : 0 }, item, settings));
  }
  return results;
}

/**
 * A probe whose Lwt could not be built because the compiler it needs could
 * not be: untestable (unless the case does not apply to that Lwt at all),
 * with the machine's exit code.
 */
export function withoutCompiler(result: ProbeResult, failure: Extract<CompilerFor, { ok: false }>): ProbeResult {
  if (result.status !== 'untestable') return result;
  return {
    ...result,
    compiler: { name: failure.compiler, version: '', chosenBy: 'lwt-regress', description: 'not built' },
    reason: failure.error,
    machineExit: failure.exitCode,
  };
}
