#!/usr/bin/env node
/**
 * `npm test`'s style check, run after Biome and the type check and before
 * any test: every offence against harness/style-rules.ts as `file:line: why`,
 * exit 1 if there is one.
 */
import { projectRoot } from '../src/paths.js';
import { MAX_FUNCTION_LINES, MAX_LINE, styleOffences } from './style-rules.js';

const offences = await styleOffences(projectRoot());
for (const o of offences) process.stderr.write(`${o}\n`);
if (offences.length > 0) {
  process.stderr.write(
    `style: ${offences.length} offence${offences.length === 1 ? '' : 's'} ` +
      `(lines over ${MAX_LINE} characters, functions in src/ over ${MAX_FUNCTION_LINES} lines)\n`,
  );
  process.exitCode = 1;
}
