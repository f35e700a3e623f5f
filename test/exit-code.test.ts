import { describe, expect, it } from 'vitest';
import { exitCodeForGate, exitCodeForResults } from '../harness/exit-code.js';
import { EXIT } from '../src/errors.js';
import { type GateRow, gateDecision } from '../src/gate/gate.js';
import type { ProbeResult, ProbeStatus } from '../src/probe/probe.js';

const result = (status: ProbeStatus) => ({ status }) as ProbeResult;
const row = (transition: GateRow['transition'], blocking = false) => ({ transition, blocking }) as GateRow;

describe('exit codes of run: the most serious result decides', () => {
  it.each([
    [['pass', 'not-applicable'], EXIT.ok],
    [['pass', 'untestable'], EXIT.untestable],
    [['untestable', 'invalid'], EXIT.usage],
    [['invalid', 'fail'], EXIT.failed],
    [['untestable', 'fail', 'pass'], EXIT.failed],
    [[], EXIT.ok],
  ] as [ProbeStatus[], number][])('statuses %j exit %i, in any order', (statuses, code) => {
    expect(exitCodeForResults(statuses.map(result))).toBe(code);
    expect(exitCodeForResults([...statuses].reverse().map(result))).toBe(code);
  });
});

describe('the gate: a blocking transition outranks a broken case, which outranks an untestable one', () => {
  it.each([
    [[row('unchanged'), row('fixed')], 'pass', EXIT.ok],
    [[row('untestable'), row('unchanged')], 'untestable', EXIT.untestable],
    [[row('untestable'), row('invalid')], 'invalid', EXIT.usage],
    [[row('untestable'), row('regressed', true)], 'blocked', EXIT.failed],
    [[row('invalid'), row('expectation-broken', true)], 'blocked', EXIT.failed],
  ] as const)('rows %j decide %s, in any order', (rows, decision, code) => {
    for (const order of [rows, [...rows].reverse()]) {
      expect(gateDecision([...order])).toBe(decision);
      expect(
        exitCodeForGate({
          baseline: 'a',
          candidate: 'b',
          ocaml: '4.13.1',
          rows: [...order],
          verdict: gateDecision([...order]),
        }),
      ).toBe(code);
    }
  });
});
