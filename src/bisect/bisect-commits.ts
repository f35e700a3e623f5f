import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir as tmpDir } from 'tmp-promise';
import { loadCases, singleCase } from '../cases/load-cases.js';
import { EXIT, UserError } from '../errors.js';
import { gitSource, mirror, resolveRef } from '../lwt/git.js';
import { buildLwt } from '../lwt/lwt-build.js';
import { normalizeVersion } from '../lwt/version.js';
import type { ProbeSettings } from '../probe/probe.js';
import { cachedProbe } from '../probe/probe-cache.js';
import type { Observation } from '../probe/verdict.js';
import { trackDir, untrackDir } from '../run/interrupt.js';
import { findToolchain, type ToolchainRequest } from '../toolchain/ocamlfind.js';
import { type Reproduction, reproduction, toAnswer } from './answer.js';
import type { BisectOutcome, BisectPoint, BisectStep } from './outcome.js';

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
  /** The command that runs one probe: `node dist/harness/cli.js bisect-probe`. */
  probeCommand: string[];
  /** Told of each commit as its probe ends: `step 3/≈6 abc1234: clean`. */
  onStep?: (line: string) => void;
}

/** One line per probe, written by `lwt-regress bisect-probe` for the bisect to read back. */
export interface ProbeLogLine {
  commit: string;
  version: string;
  reproduction: Reproduction;
  summary: string;
  observed: Observation | null;
  reused: boolean;
  freshBuild: boolean;
}

// Maps whatever the probe command does to what `git bisect run` understands:
// 0 good/old, 1 bad/new, 125 skip. Anything else (a crash, a signal) would
// abort the bisect, so it becomes a skip. The command comes in as arguments.
const PROBE_WRAPPER =
  '"$@"; rc=$?; case $rc in 0|1|125) exit $rc;; esac; echo "lwt-regress: probe exited $rc, skipping this commit" >&2; exit 125';

async function git(cwd: string, args: string[], reject = true) {
  return execa('git', args, { cwd, reject, env: { GIT_TERMINAL_PROMPT: '0' } });
}

/** Bisects the commits between two refs by driving `git bisect run` with our probe. */
export async function bisectCommits(request: CommitBisectRequest): Promise<BisectOutcome> {
  const testCase = singleCase(await loadCases(request.caseDirs), request.caseName);
  const toolchain = await findToolchain(request.toolchain);
  const got = await mirror(request.git);
  if (!got.ok) throw new UserError(`cannot bisect commits: ${got.why}`, EXIT.usage, 'Check --lwt-git');
  const m = got.mirror;
  const good = await resolveRef(m, request.good);
  const bad = await resolveRef(m, request.bad);
  for (const [flag, ref, sha] of [
    ['--good', request.good, good],
    ['--bad', request.bad, bad],
  ] as const) {
    if (!sha)
      throw new UserError(
        `${flag} ${ref}: ${request.git} has no tag or commit '${ref}'`,
        EXIT.usage,
        `List its tags with git -C ${request.git} tag --list`,
      );
  }
  if (good === bad)
    throw new UserError(
      `--good ${request.good} and --bad ${request.bad} are the same commit`,
      EXIT.usage,
      'Give a commit where the case runs clean and one where it crashes',
    );
  const [older, newer] = request.findFix ? [bad!, good!] : [good!, bad!];
  if ((await git(m.dir, ['merge-base', '--is-ancestor', older, newer], false)).exitCode !== 0) {
    throw new UserError(
      request.findFix
        ? `with --find-fix, --bad ${request.bad} must be an ancestor of --good ${request.good}`
        : `--good ${request.good} is not an ancestor of --bad ${request.bad}`,
      EXIT.usage,
      request.findFix
        ? 'Swap them, or drop --find-fix'
        : 'Swap them, or add --find-fix to look for the commit that fixed a crash',
    );
  }
  const hint =
    normalizeVersion(request.findFix ? request.bad : request.good) ??
    normalizeVersion(request.findFix ? request.good : request.bad);

  const work = await tmpDir({ unsafeCleanup: true, prefix: 'lwt-regress-bisect-' });
  trackDir(work.path);
  try {
    const repo = join(work.path, 'repo');
    const log = join(work.path, 'probes.jsonl');
    await git(work.path, ['clone', '--quiet', '--shared', '--no-checkout', m.dir, repo]);
    const [oldTerm, newTerm] = request.findFix ? ['broken', 'fixed'] : ['good', 'bad'];
    await git(repo, ['bisect', 'start', `--term-old=${oldTerm}`, `--term-new=${newTerm}`]);
    await git(repo, ['bisect', newTerm, newer]);
    // With nothing between the ends, git names the answer right here and there is nothing to run.
    const marked = (await git(repo, ['bisect', oldTerm, older])).stdout;
    const s = request.settings;
    const probeArgs = [
      ...request.probeCommand,
      ...(request.caseDirs ?? []).flatMap((d) => ['--cases', d]),
      '--case',
      request.caseName,
      '--lwt-src',
      repo,
      '--log',
      log,
      '--stack',
      String(s.stackKiB),
      '--capture',
      s.capture,
      '--timeout',
      String(s.timeoutMs / 1000),
      '--artifacts',
      s.artifactsDir,
      ...(hint ? ['--version-hint', hint] : []),
      ...(request.findFix ? ['--find-fix'] : []),
      ...(request.toolchain.opamSwitch ? ['--switch', request.toolchain.opamSwitch] : []),
      ...(request.toolchain.opamRoot ? ['--opam-root', request.toolchain.opamRoot] : []),
      ...(request.toolchain.ocaml ? ['--ocaml', request.toolchain.ocaml] : []),
    ];
    const decided = new RegExp(`is the first ${newTerm} commit`).test(marked);
    const between = Number((await git(m.dir, ['rev-list', '--count', `${older}..${newer}`], false)).stdout) || 1;
    const watch = watchSteps(log, Math.ceil(Math.log2(between + 1)), request.onStep);
    const run = decided
      ? undefined
      : await execa('git', ['bisect', 'run', 'sh', '-c', PROBE_WRAPPER, 'sh', ...probeArgs], {
          cwd: repo,
          reject: false,
          all: true,
        });
    await watch.stop();
    const output = `${marked}\n${run?.all ?? ''}`;
    await git(repo, ['bisect', 'reset', '--quiet'], false);
    const lines = (await readFile(log, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ProbeLogLine);

    const first = new RegExp(`^([0-9a-f]{40}) is the first ${newTerm} commit`, 'm').exec(output)?.[1];
    const ambiguous = /could be any of:\n((?:[0-9a-f]{40}\n?)+)/.exec(output)?.[1]?.trim().split('\n');
    if (!first && !ambiguous)
      throw new UserError(
        `git bisect run did not finish: ${output.split('\n').filter(Boolean).slice(-2).join(' / ')}`,
        EXIT.failed,
        'Run it again with the same arguments; the probes done so far are cached',
      );

    const point = async (sha: string): Promise<BisectPoint> => {
      const subject = (await git(m.dir, ['log', '-1', '--format=%s', sha])).stdout.trim();
      const version = lines.find((l) => l.commit === sha)?.version ?? hint ?? '?';
      return { label: `${sha.slice(0, 10)} ${subject}`, version, commit: sha };
    };
    const firstBad = first ?? ambiguous![ambiguous!.length - 1]!;
    // The last known good commit: among the ones marked good (and the given one), the closest ancestor of the first bad.
    const goodOnes = [
      older,
      ...lines.filter((l) => l.reproduction === (request.findFix ? 'reproduces' : 'clean')).map((l) => l.commit),
    ];
    let lastGood = older;
    let distance = Number.POSITIVE_INFINITY;
    for (const c of goodOnes) {
      const r = await git(m.dir, ['rev-list', '--count', `${c}..${firstBad}`], false);
      const d = Number(r.stdout);
      if (
        r.exitCode === 0 &&
        d > 0 &&
        d < distance &&
        (await git(m.dir, ['merge-base', '--is-ancestor', c, firstBad], false)).exitCode === 0
      ) {
        distance = d;
        lastGood = c;
      }
    }
    let observed = lines.find((l) => l.commit === firstBad)?.observed ?? null;
    let probes = lines.length;
    let builds = lines.filter((l) => l.freshBuild).length;
    // git bisect trusts the ends it was given; when the answer lands next to one of them, probe it.
    const probeEnd = async (sha: string) => {
      const got = await gitSource(request.git, sha);
      if (!got.ok) throw new UserError(`cannot check ${sha.slice(0, 10)}: ${got.why}`, EXIT.usage, 'Check --lwt-git');
      const source = {
        origin: 'git' as const,
        version: got.version ?? hint ?? '0.0.0',
        label: sha.slice(0, 10),
        dir: got.dir,
        commit: sha,
        reproduce: ['--lwt-git', request.git, '--lwt', sha],
      };
      const r = await cachedProbe(toolchain, source, await buildLwt(source, toolchain), testCase, request.settings);
      probes++;
      if (!r.reused && r.cached && (!r.cached.lwt || !r.cached.case)) builds++;
      return { r, answer: toAnswer(reproduction(r), request.findFix) };
    };
    const wrongEnd = (
      flag: string,
      ref: string,
      r: { observed: Observation | null; reason: string },
      expected: string,
    ) =>
      new UserError(
        `${flag} ${ref} does not behave as given: ${r.observed?.summary ?? r.reason}`,
        EXIT.usage,
        `Pick a ${flag} commit that ${expected}`,
      );
    // The newer end is --bad when looking for a regression, --good when looking for a fix.
    const [newerFlag, newerRef, olderFlag, olderRef] = request.findFix
      ? ['--good', request.good, '--bad', request.bad]
      : ['--bad', request.bad, '--good', request.good];
    if (first && !lines.some((l) => l.commit === firstBad)) {
      const end = await probeEnd(firstBad);
      if (end.answer !== 'bad') throw wrongEnd(newerFlag, newerRef, end.r, request.findFix ? 'runs clean' : 'crashes');
      observed = end.r.observed;
    }
    if (first && lastGood === older && !lines.some((l) => l.commit === older)) {
      const end = await probeEnd(older);
      if (end.answer !== 'good') throw wrongEnd(olderFlag, olderRef, end.r, request.findFix ? 'crashes' : 'runs clean');
    }
    const steps: BisectStep[] = [];
    for (const l of lines)
      steps.push({ ...(await point(l.commit)), reproduction: l.reproduction, summary: l.summary, reused: l.reused });
    const untestable = await Promise.all(
      lines
        .filter((l) => l.reproduction === 'untestable')
        .map(async (l) => ({ ...(await point(l.commit)), why: l.summary })),
    );
    return {
      mode: 'commits',
      findFix: request.findFix,
      case: request.caseName,
      ocaml: toolchain.ocamlVersion,
      kind: first ? 'found' : 'ambiguous',
      firstBad: await point(firstBad),
      lastGood: await point(lastGood),
      candidates: ambiguous ? await Promise.all(ambiguous.map(point)) : [],
      untestable,
      steps,
      probes,
      builds,
      observed,
      reproduce: [
        'lwt-regress',
        'run',
        ...toolchain.reproduce,
        '--lwt-git',
        request.git,
        '--lwt',
        firstBad,
        '--case',
        request.caseName,
        '--stack',
        String(s.stackKiB),
      ].join(' '),
    };
  } finally {
    await work.cleanup();
    untrackDir(work.path);
  }
}

/**
 * Follows the probes' log while `git bisect run` works, and tells of each
 * commit as its probe ends, with the step's number and the expected number
 * of steps (log2 of the commits between the ends).
 */
function watchSteps(log: string, expected: number, onStep: ((line: string) => void) | undefined) {
  let seen = 0;
  const poll = async () => {
    const text = await readFile(log, 'utf8').catch(() => '');
    const complete = text.split('\n').slice(0, -1);
    for (const raw of complete.slice(seen)) {
      seen++;
      const l = JSON.parse(raw) as ProbeLogLine;
      const what =
        l.reproduction === 'reproduces'
          ? `crashes (${l.summary})`
          : l.reproduction === 'clean'
            ? 'clean'
            : `untestable: ${l.summary}`;
      onStep?.(`step ${seen}/≈${expected} ${l.commit.slice(0, 10)}: ${what}`);
    }
  };
  const timer = onStep ? setInterval(() => void poll(), 250) : undefined;
  return {
    async stop() {
      if (timer) clearInterval(timer);
      if (onStep) await poll();
    },
  };
}
