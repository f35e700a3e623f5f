import { describe, expect, it } from 'vitest';
import { exitCodeForGate, exitCodeForResults } from '../harness/exit-code.js';
import { EXIT } from '../src/errors.js';
import { type GateRow, gateDecision } from '../src/gate/gate.js';
import type { ProbeResult, ProbeStatus } from '../src/probe/probe.js';

const result = (status: ProbeStatus) => ({ status }) as ProbeResult;
const row = (transition: GateRow['transition'], blocking = false, machineExit?: number) =>
  ({
    transition,
    blocking,
    baseline: result('pass'),
    candidate: { ...result(transition === 'untestable' ? 'untestable' : 'pass'), machineExit },
  }) as GateRow;

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

describe('exit codes of run when the compiler a tree needs could not be built', () => {
  const machine = (code: number) => ({ status: 'untestable', machineExit: code }) as ProbeResult;
  it("gives the machine's code, the disk's first, under a failure and a broken case", () => {
    expect(exitCodeForResults([result('pass'), machine(EXIT.toolchain), result('untestable')])).toBe(EXIT.toolchain);
    expect(exitCodeForResults([machine(EXIT.toolchain), machine(EXIT.environment)])).toBe(EXIT.environment);
    expect(exitCodeForResults([machine(EXIT.environment), result('invalid')])).toBe(EXIT.usage);
    expect(exitCodeForResults([machine(EXIT.environment), result('fail')])).toBe(EXIT.failed);
  });
});

describe('the gate: a blocking transition outranks a broken case, which outranks an untestable one', () => {
  it.each([
    [[row('unchanged'), row('fixed')], 'pass', EXIT.ok],
    [[row('untestable'), row('unchanged')], 'untestable', EXIT.untestable],
    [[row('untestable', false, EXIT.toolchain), row('unchanged')], 'untestable', EXIT.toolchain],
    [[row('untestable', false, EXIT.environment), row('untestable', false, EXIT.toolchain)], 'untestable', 10],
    [[row('untestable', false, EXIT.toolchain), row('regressed', true)], 'blocked', EXIT.failed],
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
          compiler: { name: '4.13.1', version: '4.13.1', chosenBy: 'lwt-regress', description: 'ocamlfind on PATH' },
          rows: [...order],
          verdict: gateDecision([...order]),
        }),
      ).toBe(code);
    }
  });
});
