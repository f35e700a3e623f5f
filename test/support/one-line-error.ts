import { expect } from 'vitest';

/** One line on stderr, `lwt-regress: <what is wrong>. <what to do>`, and no stack trace. */
export function expectOneLineError(r: { stderr: string }, pattern: RegExp) {
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^lwt-regress: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
