import { loadCases, singleCase } from '../cases/load-cases.js';
import { EXIT, UserError } from '../errors.js';
import { buildLwt } from '../lwt/lwt-build.js';
import { resolveLwt } from '../lwt/resolve.js';
import { comparisonToolchain } from '../probe/compiler-plan.js';
import { compilerOf, type ProbeResult, type ProbeSettings } from '../probe/probe.js';
import { cachedProbe } from '../probe/probe-cache.js';
import { reproductionOf } from '../probe/reproduction.js';
import { searchFirstBad } from '../search/first-bad.js';
import { findToolchain, type Toolchain, type ToolchainRequest } from '../toolchain/ocamlfind.js';
import { type BisectOutcome, type BisectPoint, type BisectStep, isFreshBuild, stepOf } from './outcome.js';
import { toAnswer } from './to-answer.js';
import { bisectRange, versionList } from './version-list.js';

export interface VersionBisectRequest {
  caseName: string;
  /** Directories of cases; the built-in ones when not given. */
  caseDirs?: string[];
  good: string;
  bad: string;
  findFix: boolean;
  versions?: string[];
  git?: string;
  opamRoot?: string;
  toolchain: ToolchainRequest;
  settings: ProbeSettings;
  onStep?: (step: BisectStep) => void;
  /** Told once which compiler every probe uses, before the first. */
  onCompiler?: (toolchain: Toolchain) => void;
}

function reproductionText(r: ProbeResult): string {
  const kind = reproductionOf(r);
  return kind === 'reproduces'
    ? `crashes (${r.observed?.summary})`
    : kind === 'clean'
      ? 'runs clean'
      : `cannot be tested (${r.observed?.summary ?? r.reason})`;
}

/** An end that does not behave as given: one line saying what it did, and how to look at it. */
function endIsWrong(flag: '--good' | '--bad', version: string, result: ProbeResult, findFix: boolean): UserError {
  const expected = { '--bad': findFix ? 'runs clean' : 'crashes', '--good': findFix ? 'still crashes' : 'runs clean' };
  return new UserError(
    `${flag} ${version} does not behave as given: it ${reproductionText(result)}`,
    EXIT.usage,
    `Pick a ${flag} version that ${expected[flag]}, or check the case with ` +
      `lwt-regress run ${result.reproduce.replace(/^lwt-regress run /, '')}`,
  );
}

/** Bisects released versions: every probe is the full pipeline, with builds and verdicts cached. */
export async function bisectVersions(request: VersionBisectRequest): Promise<BisectOutcome> {
  const testCase = singleCase(await loadCases(request.caseDirs), request.caseName);
  const base = await findToolchain(request.toolchain);
  const list = await versionList({ versions: request.versions, git: request.git, opamRoot: request.opamRoot });
  const range = bisectRange(list.entries, list.from, request.good, request.bad, request.findFix);
  const resolveEntry = (i: number, toolchain: Toolchain) =>
    resolveLwt({ spec: range[i]!.spec, git: request.git, opamRoot: request.opamRoot }, toolchain);
  // Every probe is built alike: with the compiler the oldest version needs.
  const toolchain = await comparisonToolchain(base, await resolveEntry(0, base), [testCase]);
  request.onCompiler?.(toolchain);
  const results = new Map<number, ProbeResult & { reused: boolean }>();
  const steps: BisectStep[] = [];
  const points: BisectPoint[] = range.map((e) => ({ label: e.version, version: e.version, commit: null }));

  const run = async (i: number) => {
    const source = await resolveEntry(i, toolchain);
    const result = await cachedProbe(toolchain, source, await buildLwt(source, toolchain), testCase, request.settings);
    results.set(i, result);
    points[i] = { label: source.label, version: source.version, commit: source.commit ?? null };
    const step = stepOf(points[i]!, result, reproductionOf(result));
    steps.push(step);
    request.onStep?.(step);
    return result;
  };

  const answerAt = async (i: number) => toAnswer(reproductionOf(results.get(i) ?? (await run(i))), request.findFix);
  const found = await searchFirstBad(range.length, answerAt);
  // The ends are trusted during the search, as git bisect does; when the answer
  // lands on one of them, probe it, so a wrong --good or --bad cannot make a wrong answer.
  if ((await answerAt(found.firstBad)) !== 'bad')
    throw endIsWrong('--bad', range[found.firstBad]!.version, results.get(found.firstBad)!, request.findFix);
  if (found.lastGood === 0 && (await answerAt(0)) !== 'good')
    throw endIsWrong('--good', range[0]!.version, results.get(0)!, request.findFix);
  const first = results.get(found.firstBad)!;
  const all = [...results.values()];
  return {
    mode: 'versions',
    findFix: request.findFix,
    case: request.caseName,
    ocaml: toolchain.ocamlVersion,
    compiler: compilerOf(toolchain),
    kind: found.kind,
    firstBad: points[found.firstBad]!,
    lastGood: points[found.lastGood]!,
    candidates: found.kind === 'ambiguous' ? found.candidates.map((i) => points[i]!) : [],
    untestable: found.untestable.map((i) => ({
      ...points[i]!,
      why: stepOf(points[i]!, results.get(i)!, 'untestable').summary,
    })),
    steps,
    probes: results.size,
    builds: all.filter(isFreshBuild).length,
    observed: first.observed,
    reproduce: first.reproduce,
  };
}
