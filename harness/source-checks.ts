/**
 * The checks a full `npm test` runs before any test: Biome (format, lint,
 * import boundaries) and the style rules Biome cannot express. A run with a
 * selection (`npm test -- --lwt V`) or a filter skips them, so that asking
 * one question of one Lwt starts at once; CI runs plain `npm test`.
 */
import { execa } from 'execa';
import { projectRoot } from '../src/paths.js';
import { MAX_FUNCTION_LINES, MAX_LINE, styleOffences } from './style-rules.js';

/** Runs both checks, printing what they find; whether the sources passed. */
export async function sourcesPass(): Promise<boolean> {
  // The tests of npm test itself run it on a directory of their own (vitest.config.ts), with its own biome.json.
  const root = process.env.LWT_REGRESS_TEST_DIR ?? projectRoot();
  // localDir: the project's own Biome (node_modules/.bin), whatever the PATH holds.
  const biome = await execa('biome', ['ci', '--error-on-warnings', '.'], {
    cwd: root,
    preferLocal: true,
    localDir: projectRoot(),
    stdio: 'inherit',
    reject: false,
  });
  const styled = await styleClean(root);
  return biome.exitCode === 0 && styled;
}

/** The style rules alone: each offence as `file:line: why` on stderr; whether there was none. */
export async function styleClean(root: string): Promise<boolean> {
  const offences = await styleOffences(root);
  for (const o of offences) process.stderr.write(`${o}\n`);
  if (offences.length > 0)
    process.stderr.write(
      `style: ${offences.length} offence${offences.length === 1 ? '' : 's'} ` +
        `(lines over ${MAX_LINE} characters, functions in src/ over ${MAX_FUNCTION_LINES} lines)\n`,
    );
  return offences.length === 0;
}
