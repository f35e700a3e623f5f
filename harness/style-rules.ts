/**
 * The style rules Biome does not enforce, run by `npm test` right after
 * Biome and the type check, before any test: no line of TypeScript longer
 * than 120 characters (Biome's formatter keeps code within its lineWidth but
 * does not break strings, template literals or comments), and no function in
 * src/ longer than 60 lines. Markdown prose is exempt: its lines are
 * paragraphs, wrapped by the reader's editor.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import ts from 'typescript';

export const MAX_LINE = 120;
export const MAX_FUNCTION_LINES = 60;

/** What the line and function checks look at: generated and installed trees are not ours. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'artifacts', '.git', '.stryker-tmp', 'debian']);

export interface Offence {
  file: string;
  line: number;
  message: string;
}

/** Lines longer than MAX_LINE characters (code points, as an editor counts them). */
export function longLines(file: string, text: string): Offence[] {
  return text.split('\n').flatMap((line, i) => {
    const length = [...line].length;
    return length > MAX_LINE ? [{ file, line: i + 1, message: `${length} characters (at most ${MAX_LINE})` }] : [];
  });
}

function functionName(node: ts.FunctionLikeDeclaration): string {
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
    return parent.name.getText();
  return '(anonymous)';
}

/** Functions, methods and arrows spanning more than MAX_FUNCTION_LINES lines, nested ones included. */
export function longFunctions(file: string, text: string): Offence[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const offences: Offence[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = last - first + 1;
      const name = functionName(node as ts.FunctionLikeDeclaration);
      if (lines > MAX_FUNCTION_LINES)
        offences.push({ file, line: first + 1, message: `${name} is ${lines} lines (at most ${MAX_FUNCTION_LINES})` });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return offences;
}

async function typeScriptFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (e) => {
      if (e.isDirectory()) return SKIPPED_DIRS.has(e.name) ? [] : typeScriptFiles(join(dir, e.name));
      return e.isFile() && e.name.endsWith('.ts') ? [join(dir, e.name)] : [];
    }),
  );
  return nested.flat();
}

/** Every offence in the repository's TypeScript, as `file:line: message`, in file order. */
export async function styleOffences(root: string): Promise<string[]> {
  const offences: Offence[] = [];
  for (const path of (await typeScriptFiles(root)).sort()) {
    const file = relative(root, path);
    const text = await readFile(path, 'utf8');
    offences.push(...longLines(file, text));
    if (file.startsWith('src/')) offences.push(...longFunctions(file, text));
  }
  return offences.map((o) => `${o.file}:${o.line}: ${o.message}`);
}
