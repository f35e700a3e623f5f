import type { ProbeResult } from '../../src/probe/probe.js';

/** A probe's result as the reports and judges take it: a pass on 1.0.0 by default, with the fields a test names. */
export function probeResult(over: Partial<ProbeResult> = {}): ProbeResult {
  return {
    lwt: { version: '1.0.0', label: '1.0.0', origin: 'dir', commit: null },
    ocaml: '4.13.1',
    compiler: { name: '4.13.1', version: '4.13.1', chosenBy: 'lwt-regress', description: 'ocamlfind on PATH' },
    case: 'c',
    status: 'pass',
    expected: null,
    observed: null,
    reason: '',
    timings: { buildMs: 0, runMs: 0, analyzeMs: 0, totalMs: 0 },
    cached: null,
    capture: null,
    artifacts: null,
    notes: [],
    reproduce: 'lwt-regress run',
    known: null,
    ...over,
  };
}
