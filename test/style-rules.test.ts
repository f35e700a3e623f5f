/**
 * The style rules npm test enforces after Biome (harness/style-rules.ts):
 * what they flag and what they let through.
 */
import { describe, expect, it } from 'vitest';
import { longFunctions, longLines, MAX_FUNCTION_LINES, MAX_LINE } from '../harness/style-rules.js';

const body = (lines: number) => Array.from({ length: lines - 2 }, (_, i) => `  const v${i} = ${i};`).join('\n');

describe('the line width rule', () => {
  it(`flags a line over ${MAX_LINE} characters, with its number, and counts characters, not bytes`, () => {
    const text = ['ok', 'x'.repeat(MAX_LINE + 1), 'é'.repeat(MAX_LINE)].join('\n');
    expect(longLines('a.ts', text)).toEqual([{ file: 'a.ts', line: 2, message: '121 characters (at most 120)' }]);
  });
});

describe('the function length rule', () => {
  it(`flags a function, a method or an arrow over ${MAX_FUNCTION_LINES} lines, where it starts`, () => {
    const long = body(MAX_FUNCTION_LINES + 1);
    const text = [
      `function f() {\n${long}\n}`,
      `class C {\n  m() {\n${long}\n  }\n}`,
      `const g = () => {\n${long}\n};`,
    ].join('\n');
    expect(longFunctions('a.ts', text).map((o) => [o.line, o.message])).toEqual([
      [1, 'f is 61 lines (at most 60)'],
      [63, 'm is 61 lines (at most 60)'],
      [125, 'g is 61 lines (at most 60)'],
    ]);
  });

  it(`accepts a function of exactly ${MAX_FUNCTION_LINES} lines, its doc comment not counted`, () => {
    const text = `/**\n * Says why.\n */\nfunction f() {\n${body(MAX_FUNCTION_LINES)}\n}`;
    expect(longFunctions('a.ts', text)).toEqual([]);
  });
});
