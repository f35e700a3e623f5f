import { decisionCauses, type GateDecision, type GateOutcome } from '../gate/gate.js';
import type { ProbeStatus } from '../probe/probe.js';

/** How each verdict is shown, the same in every report: the word, the Markdown icon, the HTML class. */
export const STATUS: Record<ProbeStatus, { word: string; icon: string; css: string }> = {
  pass: { word: 'pass', icon: '✅', css: 'pass' },
  fail: { word: 'FAIL', icon: '❌', css: 'fail' },
  'not-applicable': { word: 'n/a', icon: '➖', css: 'not-applicable' },
  untestable: { word: 'untestable', icon: '⚠️', css: 'untestable' },
  invalid: { word: 'invalid', icon: '⛔', css: 'invalid' },
};

/**
 * How the gate's decision is shown, the same everywhere: the console's word,
 * the reports' headline, the Markdown icon, the HTML tone.
 */
export const DECISION: Record<GateDecision, { word: string; headline: string; icon: string; tone: string }> = {
  blocked: { word: 'BLOCKED', headline: 'upgrade blocked', icon: '❌', tone: 'blocked' },
  invalid: { word: 'INVALID CASE', headline: 'a case is invalid', icon: '⛔', tone: 'blocked' },
  untestable: { word: 'NOT FULLY TESTED', headline: 'not fully tested', icon: '⚠️', tone: 'warn' },
  pass: { word: 'PASS', headline: 'upgrade passes', icon: '✅', tone: 'ok' },
};

/** The gate's decision in one line: the word, the upgrade, and what packages built on Lwt it owes to. */
export function decisionLine(g: GateOutcome): string {
  const causes = decisionCauses(g.rows);
  const owed = causes.length ? `: ${causes.join('; ')}` : '';
  return `${DECISION[g.verdict].word}: Lwt ${g.baseline} → ${g.candidate}${owed}`;
}
