import { join } from 'node:path';
import { execa } from 'execa';
import { dir as tmpDir } from 'tmp-promise';
import { EXIT, UserError } from '../errors.js';
import type { Mirror } from '../lwt/git.js';
import { trackDir, untrackDir } from '../run/interrupt.js';
import type { CommitEnds } from './commit-ends.js';
import {
  type CommitProbeRequest,
  PROBE_EXIT,
  type ProbeLogLine,
  probeArguments,
  readProbeLog,
  writeProbeRequest,
} from './probe-protocol.js';

export interface GitBisectAnswer {
  /** The first new commit, when git bisect could name one. */
  first: string | undefined;
  /** When skipped commits hide it: the commits it may be, git's order. */
  ambiguous: string[] | undefined;
  /** What each probe saw, in the order they ran. */
  lines: ProbeLogLine[];
}

// Maps whatever the probe command does to what `git bisect run` understands:
// 0 good/old, 1 bad/new, 125 skip. Anything else (a crash, a signal) would
// abort the bisect, so it becomes a skip. The command comes in as arguments.
const PROBE_WRAPPER =
  `"$@"; rc=$?; case $rc in ${PROBE_EXIT.good}|${PROBE_EXIT.bad}|${PROBE_EXIT.untestable}) exit $rc;; esac; ` +
  `echo "lwt-regress: probe exited $rc, skipping this commit" >&2; exit ${PROBE_EXIT.untestable}`;

const git = (cwd: string, args: string[], reject = true) =>
  execa('git', args, { cwd, reject, env: { GIT_TERMINAL_PROMPT: '0' } });

/**
 * Runs `git bisect run` between the ends, in a temporary clone of the
 * mirror, with `lwt-regress bisect-probe` (the command `lwtRegress` starts)
 * as the test; reports each probe as it ends. The terms are good/bad, or
 * broken/fixed when looking for the fix.
 */
export async function gitBisectRun(
  m: Mirror,
  ends: CommitEnds,
  probe: Omit<CommitProbeRequest, 'tree' | 'log' | 'versionHint'>,
  lwtRegress: string[],
  onStep?: (line: string) => void,
): Promise<GitBisectAnswer> {
  const work = await tmpDir({ unsafeCleanup: true, prefix: 'lwt-regress-bisect-' });
  trackDir(work.path);
  try {
    const tree = join(work.path, 'repo');
    const log = join(work.path, 'probes.jsonl');
    const requestFile = join(work.path, 'request.json');
    await writeProbeRequest(requestFile, { ...probe, tree, log, ...(ends.hint ? { versionHint: ends.hint } : {}) });
    await git(work.path, ['clone', '--quiet', '--shared', '--no-checkout', m.dir, tree]);
    const [oldTerm, newTerm] = probe.findFix ? ['broken', 'fixed'] : ['good', 'bad'];
    await git(tree, ['bisect', 'start', `--term-old=${oldTerm}`, `--term-new=${newTerm}`]);
    await git(tree, ['bisect', newTerm, ends.newer]);
    // With nothing between the ends, git names the answer right here and there is nothing to run.
    const marked = (await git(tree, ['bisect', oldTerm, ends.older])).stdout;
    const decided = new RegExp(`is the first ${newTerm} commit`).test(marked);
    // What git has said so far: its "roughly N steps" keeps the step counter true when probes are skipped.
    let said = marked;
    const watch = watchSteps(log, (step) => expectedSteps(said, step), onStep);
    const child = decided
      ? undefined
      : execa(
          'git',
          ['bisect', 'run', 'sh', '-c', PROBE_WRAPPER, 'sh', ...lwtRegress, ...probeArguments(requestFile)],
          {
            cwd: tree,
            reject: false,
            all: true,
          },
        );
    child?.all?.on('data', (chunk: Buffer) => {
      said += chunk.toString();
    });
    const run = child ? await child : undefined;
    await watch.stop();
    const output = `${marked}\n${run?.all ?? ''}`;
    await git(tree, ['bisect', 'reset', '--quiet'], false);
    const first = new RegExp(`^([0-9a-f]{40}) is the first ${newTerm} commit`, 'm').exec(output)?.[1];
    const ambiguous = /could be any of:\n((?:[0-9a-f]{40}\n?)+)/.exec(output)?.[1]?.trim().split('\n');
    if (!first && !ambiguous) {
      throw new UserError(
        `git bisect run did not finish: ${output.split('\n').filter(Boolean).slice(-2).join(' / ')}`,
        EXIT.failed,
        'Run it again with the same arguments; the probes done so far are cached',
      );
    }
    return { first, ambiguous, lines: await readProbeLog(log) };
  } finally {
    await work.cleanup();
    untrackDir(work.path);
  }
}

/**
 * How many probes the bisect will have made, by git's own count, as of the
 * `step`-th: each commit git checks out (a skipped one too) is announced by
 * `Bisecting: N revisions left to test after this (roughly M steps)`, so
 * that step's total is its number plus its announcement's M. Undefined when
 * git has not announced it (the ends decided it at once).
 */
export function expectedSteps(gitOutput: string, step: number): number | undefined {
  const said = [...gitOutput.matchAll(/^Bisecting: .*\(roughly (\d+) steps?\)/gm)];
  const announced = said[step - 1];
  return announced ? step + Number(announced[1]) : undefined;
}

/**
 * Follows the probes' log while `git bisect run` works, and tells of each
 * commit as its probe ends, with the step's number and the expected number
 * of steps (git's estimate, which counts the untestable ones it skipped).
 */
function watchSteps(
  log: string,
  expected: (step: number) => number | undefined,
  onStep: ((line: string) => void) | undefined,
) {
  let seen = 0;
  const poll = async () => {
    for (const l of (await readProbeLog(log)).slice(seen)) {
      seen++;
      const what =
        l.reproduction === 'reproduces'
          ? `crashes (${l.summary})`
          : l.reproduction === 'clean'
            ? 'clean'
            : `untestable: ${l.summary.replace(/^untestable: /, '')}`;
      const total = Math.max(seen, expected(seen) ?? seen);
      onStep?.(`step ${seen}/≈${total} ${l.commit.slice(0, 10)}: ${what}`);
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
