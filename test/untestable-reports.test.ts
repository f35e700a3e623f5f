/**
 * A run whose probes are untestable for one reason says that reason once,
 * in the text table and in the Markdown report, however many probes share it.
 */
import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../src/probe/probe.js';
import { runMarkdown } from '../src/report/markdown.js';
import { formatMatrix } from '../src/report/matrix-text.js';
import { probeResult } from './support/probe-result.js';

const error = 'lwt_unix.ml: File "src/unix/lwt_bytes.ml", line 89: Error: This expression has type bytes';
const probe = (label: string, name: string, reason: string): ProbeResult =>
  probeResult({
    lwt: { version: '2.3.0', label, origin: 'git', commit: null },
    compiler: { name: '4.13.1', version: '4.13.1', chosenBy: 'user', description: '--ocaml /usr' },
    case: name,
    status: 'untestable',
    reason,
  });

const results = [
  ...['2.2.0 (git)', '2.3.0 (git)'].flatMap((label) =>
    ['mutex-server', 'io-map-tower'].map((c) =>
      probe(label, c, `the case does not build against Lwt ${label}: ${error}`),
    ),
  ),
  probe('2.3.0 (git)', 'odd-one', 'another reason'),
];

describe('untestable probes sharing a reason', () => {
  it('are counted under the text table with their reason once', () => {
    const lines = formatMatrix(results, { width: 400, color: false }).split('\n');
    expect(lines).toContain(
      `4 probes untestable (Lwt 2.2.0 (git), 2.3.0 (git)): the case does not build against this Lwt: ${error}`,
    );
    expect(lines).toContain('1 probe untestable (Lwt 2.3.0 (git)): another reason');
    expect(lines.filter((l) => l.includes('probes untestable') || l.includes('probe untestable'))).toHaveLength(2);
  });

  it('point at their reason in the Markdown report, which says each reason once', () => {
    const md = runMarkdown(results);
    expect(md.match(/lwt\\_bytes\.ml/g)).toHaveLength(1);
    expect(md.match(/\| reason 1 below \|/g)).toHaveLength(4);
    expect(md).toContain('| reason 2 below |');
    expect(md).toMatch(
      /### Untestable\n1\. 4 probes \(Lwt 2\.2\.0 \(git\), 2\.3\.0 \(git\)\): the case does not build/,
    );
    expect(md).toContain('2. 1 probe (Lwt 2.3.0 (git)): another reason');
  });
});
