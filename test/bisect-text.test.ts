/**
 * A bisect's answer stays readable when many probes are untestable: one line
 * per shared reason, candidates one per line, no line past the width; and the
 * step counter follows git's own estimate when commits are skipped.
 */
import { describe, expect, it } from 'vitest';
import { expectedSteps } from '../src/bisect/git-bisect-run.js';
import type { BisectOutcome, BisectPoint } from '../src/bisect/outcome.js';
import { formatBisect } from '../src/report/bisect-text.js';
import { groupReasons, sharedReason } from '../src/report/reason-groups.js';

const error = 'File "src/unix/lwt_bytes.ml", line 89, characters 2-10: Error: This expression has type bytes';
const commit = (i: number): BisectPoint => {
  const sha = (i.toString(16).padStart(4, '0') + 'a'.repeat(36)).slice(0, 40);
  return {
    label: `${sha.slice(0, 10)} commit number ${i} with a subject of some length`,
    version: '2.3.0',
    commit: sha,
    why: `untestable: Lwt 2.3.0 (${sha.slice(0, 10)}) does not build: ${error}`,
  };
};

function outcome(untestable: BisectPoint[], kind: BisectOutcome['kind']): BisectOutcome {
  return {
    mode: 'commits',
    findFix: true,
    case: 'mutex-server',
    ocaml: '4.13.1',
    compiler: { name: '4.13.1', version: '4.13.1', chosenBy: 'lwt-regress', description: 'ocamlfind on PATH' },
    kind,
    firstBad: commit(40),
    lastGood: commit(0),
    candidates: kind === 'ambiguous' ? [...untestable, commit(40)] : [],
    untestable,
    steps: [],
    probes: untestable.length,
    builds: 0,
    observed: null,
    reproduce: 'lwt-regress run --lwt-git /x --lwt 2.3.1 --case mutex-server --stack 1024',
  };
}

describe('a bisect whose probes were untestable for one reason', () => {
  const all = Array.from({ length: 39 }, (_, i) => commit(i + 1));

  it('says the reason once, with the count, and lists the candidates one per line', () => {
    const text = formatBisect(outcome(all, 'ambiguous'), 120);
    const lines = text.split('\n');
    expect(lines[0]).toBe('First fixed commit: one of these 40 commits (all but the last untestable):');
    expect(lines[11]).toBe(`    ${commit(40).label}`);
    expect(lines.filter((l) => l.includes('untestable:'))).toEqual([
      `${`  39 commits untestable: this Lwt does not build: ${error}`.slice(0, 119)}…`,
    ]);
    expect(text.match(/lwt_bytes\.ml/g)).toHaveLength(1);
    expect(lines).toContain('    … and 30 before them (all in --json)');
    expect(lines.filter((l) => /^ {4}[0-9a-f]{10} commit number/.test(l))).toHaveLength(10);
    // Only the reproduce line, a command to copy, may be longer.
    expect(lines.filter((l) => l.length > 120 && !l.startsWith('  reproduce:'))).toEqual([]);
  });

  it('keeps different reasons apart, and names the only one of its kind', () => {
    const other = { ...commit(7), why: 'untestable: the case does not build against Lwt 2.3.0 (0007aaaaaa): nope' };
    const text = formatBisect(outcome([commit(1), commit(2), other], 'found'), Number.POSITIVE_INFINITY);
    expect(text).toContain(`  2 commits untestable: this Lwt does not build: ${error}`);
    expect(text).toContain(`  1 commit untestable (${other.label}): the case does not build against this Lwt: nope`);
  });

  it('names the compiler every probe used, and who chose it', () => {
    const chosen = {
      ...outcome([], 'found'),
      compiler: {
        name: '4.13.1+unsafe-string',
        version: '4.13.1',
        chosenBy: 'lwt-regress' as const,
        description: '--ocaml x',
        why: 'this Lwt writes into strings (src/unix/lwt_bytes.ml), and OCaml 4.13.1 forces safe strings',
      },
    };
    expect(formatBisect(chosen)).toContain(
      '  OCaml 4.13.1+unsafe-string for every probe, chosen by lwt-regress: this Lwt writes into strings',
    );
  });
});

describe('shared reasons', () => {
  it('leave out the Lwt a reason was said of and commit hashes, and keep what differs', () => {
    expect(sharedReason('Lwt 2.3.0 (git 9e2419eabd) does not build: x', '2.3.0 (git 9e2419eabd)')).toBe(
      'this Lwt does not build: x',
    );
    expect(sharedReason('Lwt 2.3.0 (d6e3bd423e) does not build: x', 'd6e3bd423e add wakeup_later')).toBe(
      'this Lwt does not build: x',
    );
    const groups = groupReasons([
      { label: '2.0.0 (git)', reason: 'Lwt 2.0.0 (git) does not build: a' },
      { label: '2.2.1 (git)', reason: 'Lwt 2.2.1 (git) does not build: a' },
      { label: '2.2.1 (git)', reason: 'Lwt 2.2.1 (git) does not build: b' },
    ]);
    expect(groups).toEqual([
      { reason: 'this Lwt does not build: a', labels: ['2.0.0 (git)', '2.2.1 (git)'] },
      { reason: 'this Lwt does not build: b', labels: ['2.2.1 (git)'] },
    ]);
  });
});

describe("the step counter of a commit bisect, from git's own estimate", () => {
  const bisecting = (left: number, steps: number) =>
    `Bisecting: ${left} revisions left to test after this (roughly ${steps} step${steps === 1 ? '' : 's'})\n[abc] x\n`;

  it("is the step's number plus the steps git said were left after its commit, skipped ones counted", () => {
    const said = bisecting(19, 4) + bisecting(18, 4) + bisecting(9, 3) + bisecting(4, 2);
    expect(expectedSteps('', 1)).toBeUndefined();
    expect(expectedSteps(said, 1)).toBe(5);
    // The first commit was skipped: git checked out another, still about four steps away.
    expect(expectedSteps(said, 2)).toBe(6);
    expect(expectedSteps(said, 3)).toBe(6);
    expect(expectedSteps(said, 4)).toBe(6);
    expect(expectedSteps(said, 5)).toBeUndefined();
  });
});
