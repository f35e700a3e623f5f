import type { ProbeStatus } from '../probe/probe.js';

/** How each verdict is shown, the same in every report: the word, the Markdown icon, the HTML class. */
export const STATUS: Record<ProbeStatus, { word: string; icon: string; css: string }> = {
  pass: { word: 'pass', icon: '✅', css: 'pass' },
  fail: { word: 'FAIL', icon: '❌', css: 'fail' },
  'not-applicable': { word: 'n/a', icon: '➖', css: 'not-applicable' },
  untestable: { word: 'untestable', icon: '⚠️', css: 'untestable' },
  invalid: { word: 'invalid', icon: '⛔', css: 'invalid' },
};
