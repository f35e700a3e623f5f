import { execa } from 'execa';
import { CASES_DIR, type Case, loadCases, singleCase } from '../cases/load-cases.js';
import { EXIT, UserError } from '../errors.js';
import { gitSource, type Mirror, mirror } from '../lwt/git.js';
import { buildLwt } from '../lwt/lwt-build.js';
import type { LwtSource } from '../lwt/source.js';
import { comparisonToolchain, toolchainRequest } from '../probe/compiler-plan.js';
import { compilerOf, type ProbeResult, type ProbeSettings } from '../probe/probe.js';
import { cachedProbe } from '../probe/probe-cache.js';
import { reproductionOf } from '../probe/reproduction.js';
import { shellWords } from '../text/shell-words.js';
import { findToolchain, type Toolchain, type ToolchainRequest } from '../toolchain/ocamlfind.js';
import { type CommitEnds, commitEnds } from './commit-ends.js';
import { type GitBisectAnswer, gitBisectRun } from './git-bisect-run.js';
import type { BisectOutcome, BisectPoint, BisectStep } from './outcome.js';
import type { ProbeLogLine } from './probe-protocol.js';
import { toAnswer } from './to-answer.js';

export interface CommitBisectRequest {
  caseName: string;
  /** Directories of cases; the built-in ones when not given. */
  caseDirs?: string[];
  git: string;
  good: string;
  bad: string;
  findFix: boolean;
  toolchain: ToolchainRequest;
  settings: ProbeSettings;
  /** The command that starts lwt-regress, for the probes: `node dist/harness/cli.js`. */
  lwtRegress: string[];
  /** Told of each commit as its probe ends: `step 3/≈6 abc1234: clean`. */
  onStep?: (line: string) => void;
  /** Told once which compiler every probe uses, before the first. */
  onCompiler?: (toolchain: Toolchain) => void;
}

const gitIn = (m: Mirror, args: string[]) => execa('git', ['--git-dir', m.dir, ...args], { reject: false });

/** Bisects the commits between two refs by driving `git bisect run` with lwt-regress's probe. */
export async function bisectCommits(request: CommitBisectRequest): Promise<BisectOutcome> {
  const testCase = singleCase(await loadCases(request.caseDirs), request.caseName);
  const base = await findToolchain(request.toolchain);
  const got = await mirror(request.git);
  if (!got.ok) throw new UserError(`cannot bisect commits: ${got.error}`, EXIT.usage, 'Check --lwt-git');
  const m = got.mirror;
  const ends = await commitEnds(m, request.git, request);
  // Every probe is built alike: with the compiler the older end needs; the probes select it again by name.
  const toolchain = await comparisonToolchain(base, await endSource(request.git, ends.older, ends.hint), [testCase]);
  request.onCompiler?.(toolchain);
  const { caseName, caseDirs, findFix, settings } = request;
  const probe = { caseName, ...(caseDirs ? { caseDirs } : {}), findFix, settings };
  const chosen = toolchainRequest(toolchain, request.toolchain);
  const found = await gitBisectRun(m, ends, { ...probe, toolchain: chosen }, request.lwtRegress, request.onStep);
  const firstBad = found.first ?? found.ambiguous![found.ambiguous!.length - 1]!;
  const lastGood = await lastGoodOf(m, ends.older, firstBad, found.lines, findFix);
  const checked = await checkEnds(request, { toolchain, testCase, ends, found, firstBad, lastGood });
  const point = pointIn(m, found.lines, ends.hint);
  const steps: BisectStep[] = [];
  for (const l of found.lines) {
    steps.push({ ...(await point(l.commit)), reproduction: l.reproduction, summary: l.summary, reused: l.reused });
  }
  const untestable = found.lines.filter((l) => l.reproduction === 'untestable');
  return {
    mode: 'commits',
    findFix,
    case: caseName,
    ocaml: toolchain.ocamlVersion,
    compiler: compilerOf(toolchain),
    kind: found.first ? 'found' : 'ambiguous',
    firstBad: await point(firstBad),
    lastGood: await point(lastGood),
    candidates: found.ambiguous ? await Promise.all(found.ambiguous.map(point)) : [],
    untestable: await Promise.all(untestable.map(async (l) => ({ ...(await point(l.commit)), why: l.summary }))),
    steps,
    probes: found.lines.length + checked.probes,
    builds: found.lines.filter((l) => l.freshBuild).length + checked.builds,
    observed: checked.observed ?? found.lines.find((l) => l.commit === firstBad)?.observed ?? null,
    reproduce: reproduceAt(request, toolchain, firstBad),
  };
}

/** The command that shows a commit's verdict again, with the compiler the bisect used. */
function reproduceAt(request: CommitBisectRequest, toolchain: Toolchain, sha: string): string {
  return shellWords([
    'lwt-regress',
    'run',
    ...toolchain.reproduce,
    '--lwt-git',
    request.git,
    '--lwt',
    sha,
    ...(request.caseDirs ?? []).filter((d) => d !== CASES_DIR).flatMap((d) => ['--cases', d]),
    '--case',
    request.caseName,
    '--stack',
    String(request.settings.stackKiB),
  ]);
}

/** A commit of the repository as a Lwt source: its tree checked out, its version from the tree or the hint. */
async function endSource(git: string, sha: string, hint: string | undefined): Promise<LwtSource> {
  const got = await gitSource(git, sha);
  if (!got.ok) throw new UserError(`cannot check ${sha.slice(0, 10)}: ${got.error}`, EXIT.usage, 'Check --lwt-git');
  return {
    origin: 'git',
    version: got.version ?? hint ?? '0.0.0',
    label: sha.slice(0, 10),
    dir: got.dir,
    commit: sha,
    reproduce: ['--lwt-git', git, '--lwt', sha],
  };
}

/** A commit as the answer shows it: its short hash and subject, and the version its probe assumed. */
function pointIn(m: Mirror, lines: ProbeLogLine[], hint: string | undefined) {
  return async (sha: string): Promise<BisectPoint> => {
    const subject = String((await gitIn(m, ['log', '-1', '--format=%s', sha])).stdout).trim();
    const version = lines.find((l) => l.commit === sha)?.version ?? hint ?? '?';
    return { label: `${sha.slice(0, 10)} ${subject}`, version, commit: sha };
  };
}

/**
 * The last known good commit: among the ones marked good (and the older end),
 * the closest ancestor of the first bad.
 */
async function lastGoodOf(
  m: Mirror,
  older: string,
  firstBad: string,
  lines: ProbeLogLine[],
  findFix: boolean,
): Promise<string> {
  const good = findFix ? 'reproduces' : 'clean';
  const candidates = [older, ...lines.filter((l) => l.reproduction === good).map((l) => l.commit)];
  let lastGood = older;
  let distance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const count = await gitIn(m, ['rev-list', '--count', `${c}..${firstBad}`]);
    const d = Number(count.stdout);
    if (count.exitCode !== 0 || d <= 0 || d >= distance) continue;
    if ((await gitIn(m, ['merge-base', '--is-ancestor', c, firstBad])).exitCode !== 0) continue;
    distance = d;
    lastGood = c;
  }
  return lastGood;
}

interface EndCheck {
  toolchain: Toolchain;
  testCase: Case;
  ends: CommitEnds;
  found: GitBisectAnswer;
  firstBad: string;
  lastGood: string;
}

/**
 * git bisect trusts the ends it was given; when the answer lands next to
 * one it never probed, that end is probed, so that a --good that crashes or
 * a --bad that runs clean is said rather than turned into a wrong answer.
 */
async function checkEnds(
  request: CommitBisectRequest,
  c: EndCheck,
): Promise<{ probes: number; builds: number; observed: ProbeResult['observed'] | undefined }> {
  const tally = { probes: 0, builds: 0, observed: undefined as ProbeResult['observed'] | undefined };
  const probed = (sha: string) => c.found.lines.some((l) => l.commit === sha);
  const probeEnd = async (sha: string) => {
    const source = await endSource(request.git, sha, c.ends.hint);
    const r = await cachedProbe(c.toolchain, source, await buildLwt(source, c.toolchain), c.testCase, request.settings);
    tally.probes++;
    if (!r.reused && r.cached && (!r.cached.lwt || !r.cached.case)) tally.builds++;
    return { r, answer: toAnswer(reproductionOf(r), request.findFix) };
  };
  const wrongEnd = (flag: string, ref: string, r: ProbeResult, expected: string) =>
    new UserError(
      `${flag} ${ref} does not behave as given: ${r.observed?.summary ?? r.reason}`,
      EXIT.usage,
      `Pick a ${flag} commit that ${expected}`,
    );
  // The newer end is --bad when looking for a regression, --good when looking for a fix.
  const [newerFlag, newerRef, olderFlag, olderRef] = request.findFix
    ? ['--good', request.good, '--bad', request.bad]
    : ['--bad', request.bad, '--good', request.good];
  if (c.found.first && !probed(c.firstBad)) {
    const end = await probeEnd(c.firstBad);
    if (end.answer !== 'bad') throw wrongEnd(newerFlag, newerRef, end.r, request.findFix ? 'runs clean' : 'crashes');
    tally.observed = end.r.observed;
  }
  if (c.found.first && c.lastGood === c.ends.older && !probed(c.ends.older)) {
    const end = await probeEnd(c.ends.older);
    if (end.answer !== 'good') throw wrongEnd(olderFlag, olderRef, end.r, request.findFix ? 'crashes' : 'runs clean');
  }
  return tally;
}
