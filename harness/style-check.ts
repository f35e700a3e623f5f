#!/usr/bin/env node
/**
 * `npm run lint`'s style check (a full `npm test` runs it too, source-checks.ts):
 * every offence against harness/style-rules.ts as `file:line: why`, exit 1 if there is one.
 */
import { projectRoot } from '../src/paths.js';
import { styleClean } from './source-checks.js';

if (!(await styleClean(projectRoot()))) process.exitCode = 1;
