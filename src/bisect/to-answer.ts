import type { Reproduction } from '../probe/reproduction.js';
import type { Answer } from '../search/first-bad.js';

/**
 * The search looks for the first "bad" element. Looking for a regression,
 * bad means the overflow reproduces; looking for the fix (--find-fix), the
 * list runs from crashing to clean and bad means clean.
 */
export function toAnswer(r: Reproduction, findFix: boolean): Answer {
  if (r === 'untestable') return 'untestable';
  return (r === 'reproduces') !== findFix ? 'bad' : 'good';
}
