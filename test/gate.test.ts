/**
 * The gate (src/gate/gate.ts): what an upgrade does to each case, said in a
 * reason a reviewer reads, and the rows that need no probe (a broken manifest,
 * a program already built), sharded by case.
 */
import { describe, expect, it } from 'vitest';
import type { Case } from '../src/cases/load-cases.js';
import { parseManifest } from '../src/cases/manifest.js';
import { type GateRow, gate, gateDecision, transitionOf } from '../src/gate/gate.js';
import type { LwtSource } from '../src/lwt/source.js';
import { CompilerPlan } from '../src/probe/compiler-plan.js';
import type { ProbeResult, ProbeSettings } from '../src/probe/probe.js';
import type { PreparedSuite } from '../src/probe/suite.js';
import type { Observation } from '../src/probe/verdict.js';
import type { Toolchain } from '../src/toolchain/ocamlfind.js';
import { probeResult } from './support/probe-result.js';

const seen = (outcome: Observation['outcome'], summary: string): Observation => ({
  outcome,
  summary,
  frames: [],
  definitions: [],
  depth: null,
  entry: [],
});

function result(label: string, status: ProbeResult['status'], observed: Observation | null, reason = ''): ProbeResult {
  return probeResult({ lwt: { version: '1.0.0', label, origin: 'dir', commit: null }, status, observed, reason });
}

const cycle = seen('cycle', 'cycle of 2 × 100: A.f → B.g');
const clean = seen('clean', 'clean: done');

describe('why a transition is what it is', () => {
  it('regressed: clean on one, crashing on the other, with what it crashed in', () => {
    expect(transitionOf(result('5.6.1', 'pass', clean), result('5.7.0', 'fail', cycle))).toEqual({
      transition: 'regressed',
      blocking: true,
      why: 'clean on 5.6.1, crashes on 5.7.0: cycle of 2 × 100: A.f → B.g',
    });
  });

  it('expectation broken: the candidate reason; untestable: which side, and why', () => {
    const hang = seen('hang', 'no exit within 60 s');
    expect(transitionOf(result('a', 'pass', clean), result('b', 'fail', hang, 'expected a clean run'))).toEqual({
      transition: 'expectation-broken',
      blocking: true,
      why: 'expected a clean run',
    });
    expect(transitionOf(result('a', 'pass', clean), result('b', 'untestable', null, 'does not build'))).toEqual({
      transition: 'untestable',
      blocking: false,
      why: 'candidate: does not build',
    });
    expect(transitionOf(result('a', 'untestable', null, 'no core'), result('b', 'pass', clean))).toEqual({
      transition: 'untestable',
      blocking: false,
      why: 'baseline: no core',
    });
  });

  it('fixed, unchanged, not applicable: said in the candidate reason or observation', () => {
    expect(transitionOf(result('a', 'pass', cycle), result('b', 'pass', clean))).toEqual({
      transition: 'fixed',
      blocking: false,
      why: 'crashed on a, clean on b',
    });
    expect(transitionOf(result('a', 'pass', clean), result('b', 'pass', clean))).toEqual({
      transition: 'unchanged',
      blocking: false,
      why: 'clean: done',
    });
    expect(transitionOf(result('a', 'pass', clean), result('b', 'not-applicable', null, 'needs >=2.3.1'))).toEqual({
      transition: 'not-applicable',
      blocking: false,
      why: 'needs >=2.3.1',
    });
    // A candidate that cannot tell (a hang it expected) and passed is unchanged, with its reason when nothing was seen.
    expect(transitionOf(result('a', 'pass', clean), result('b', 'pass', null, 'as expected'))).toMatchObject({
      transition: 'unchanged',
      why: 'as expected',
    });
  });

  it('a candidate that crashes where the baseline could not tell is not a regression', () => {
    const hang = seen('hang', 'no exit');
    expect(transitionOf(result('a', 'pass', hang), result('b', 'pass', cycle))).toMatchObject({
      transition: 'unchanged',
      blocking: false,
    });
    expect(transitionOf(result('a', 'pass', cycle), result('b', 'pass', hang))).toMatchObject({
      transition: 'unchanged',
    });
  });
});

describe('the gate without probes', () => {
  const source = (label: string): LwtSource => ({
    origin: 'as-built',
    version: label,
    label,
    dir: '/nowhere',
    reproduce: [],
  });
  const toolchain: Toolchain = {
    ocamlVersion: '4.13.1',
    name: '4.13.1',
    chosenBy: 'lwt-regress',
    description: 'ocamlfind on PATH',
    prefix: [],
    reproduce: [],
    fibers: false,
  };
  const commandCase = (name: string): Case => ({
    manifest: parseManifest(name, {
      description: 'd',
      needs: '*',
      size: { default: 1 },
      command: ['./prog'],
      expect: [{ lwt: '*', outcome: 'clean' }],
    }),
    dir: `/cases/${name}`,
    sources: [],
    stub: '',
  });
  const prepared = (shard?: PreparedSuite['shard']): PreparedSuite => ({
    toolchain,
    compilers: new CompilerPlan(toolchain, []),
    sources: [source('5.6.1'), source('5.7.0')],
    cases: [commandCase('built-1'), commandCase('built-2')],
    invalid: [{ name: 'broken', dir: '/cases/broken', why: 'needs a "description" string' }],
    warnings: [],
    shard,
  });
  const settings = { stackKiB: 1024, capture: 'auto', timeoutMs: 1000, artifactsDir: '/tmp' } as ProbeSettings;

  it('a broken manifest is an invalid row on both sides; a program already built is not applicable', async () => {
    const rows: GateRow[] = [];
    const outcome = await gate(prepared(), settings, (row) => rows.push(row));
    expect(outcome).toMatchObject({ baseline: '5.6.1', candidate: '5.7.0', ocaml: '4.13.1', verdict: 'invalid' });
    expect(outcome.rows.map((r) => [r.case, r.transition, r.blocking])).toEqual([
      ['broken', 'invalid', false],
      ['built-1', 'not-applicable', false],
      ['built-2', 'not-applicable', false],
    ]);
    expect(rows).toEqual(outcome.rows);
    const [broken, built] = outcome.rows;
    expect(broken!.why).toBe('invalid case: needs a "description" string (/cases/broken/case.json)');
    expect([broken!.baseline.lwt.label, broken!.candidate.lwt.label]).toEqual(['5.6.1', '5.7.0']);
    expect([broken!.baseline.status, broken!.candidate.status]).toEqual(['invalid', 'invalid']);
    expect(built!.why).toBe(
      'runs a program already built, with its own Lwt: an upgrade does not change it (use it with run)',
    );
    expect(built!.baseline).toMatchObject({ status: 'not-applicable', reason: built!.why, case: 'built-1' });
    expect(built!.candidate).toMatchObject({ status: 'not-applicable', lwt: { label: '5.7.0' } });
  });

  it('shards by case, the broken ones first: each part judges whole rows, and the parts make the whole', async () => {
    const suite = (shard: PreparedSuite['shard']) => ({
      ...prepared(shard),
      cases: ['built-1', 'built-2', 'built-3'].map(commandCase),
    });
    const part = async (index: number) => (await gate(suite({ index, count: 2 }), settings)).rows.map((r) => r.case);
    expect(await part(1)).toEqual(['broken', 'built-2']);
    expect(await part(2)).toEqual(['built-1', 'built-3']);
    expect((await gate(prepared({ index: 2, count: 2 }), settings)).verdict).toBe('pass');
  });

  it('a case built from source is probed on both Lwts, not taken for a program already built', async () => {
    const sourceCase: Case = {
      ...commandCase('from-source'),
      manifest: parseManifest('from-source', {
        description: 'd',
        needs: '*',
        size: { default: 1 },
        expect: [{ lwt: '*', outcome: 'clean' }],
      }),
    };
    const tree = (label: string): LwtSource => ({ ...source(label), origin: 'dir', dir: '/nowhere' });
    const suite = { ...prepared(), sources: [tree('5.6.1'), tree('5.7.0')], cases: [sourceCase], invalid: [] };
    const outcome = await gate(suite, settings);
    // Neither tree exists, so neither Lwt can be built: untestable on both, which only a probe finds.
    expect(outcome.rows.map((r) => [r.case, r.transition, r.baseline.status, r.candidate.status])).toEqual([
      ['from-source', 'untestable', 'untestable', 'untestable'],
    ]);
  });
});

describe("the gate's decision", () => {
  const row = (transition: GateRow['transition'], blocking = false) => ({ transition, blocking }) as GateRow;
  it('passes with nothing to say, and a row that does not block never blocks', () => {
    expect(gateDecision([])).toBe('pass');
    expect(gateDecision([row('fixed'), row('not-applicable'), row('unchanged')])).toBe('pass');
    expect(gateDecision([row('regressed', false)])).toBe('pass');
  });
});
