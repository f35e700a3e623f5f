#!/usr/bin/env node
/**
 * `npm run fixtures -- DIR`: the Lwt fixtures the tests use, made from
 * Debian's Lwt 5.6.1 source tarball (core and lwt.unix), for a user to try
 * bisect and gate by hand:
 * 32 versions in a local opam repository, a git history with a regression,
 * and a regressed source tree. Prints the commands that use them.
 */
import { resolve } from 'node:path';
import {
  makeCommitHistory,
  makeSourceTree,
  makeVersionSeries,
  regressMutexUnlock,
  SERIES,
} from '../src/fixtures/lwt-fixtures.js';

const [target] = process.argv.slice(2);
if (!target) {
  process.stderr.write('usage: npm run fixtures -- DIR   (DIR must not exist yet)\n');
  process.exit(2);
}
const dir = resolve(target);
const { root } = await makeVersionSeries(dir);
const commits = await makeCommitHistory(resolve(dir, 'lwt-repo'));
const regressed = await makeSourceTree(resolve(dir, 'lwt-regressed'), '5.6.1');
await regressMutexUnlock(regressed);
const label = SERIES.label;
process.stdout.write(`Made in ${dir}:
  ${SERIES.count} Lwt versions ${label(0)} … ${label(SERIES.count - 1)} in a local opam repository (root ${root}):
    Lwt_mutex.unlock regresses at ${label(SERIES.regressesAt)}; ${label(SERIES.broken)} does not build
  a git history (${dir}/lwt-repo, tags v-good, v-bad, v-fixed): the regression is commit ${commits[4]!.slice(0, 10)}
  a regressed source tree (${regressed})

Try:
  npx lwt-regress bisect --case mutex-unlock-storm --good ${label(0)} --bad ${label(SERIES.count - 1)} \
--opam-root ${root}
  npx lwt-regress bisect --commits --lwt-git ${dir}/lwt-repo --case mutex-unlock-storm --good v-good --bad v-bad
  npx lwt-regress bisect --commits --lwt-git ${dir}/lwt-repo --case mutex-unlock-storm --find-fix \
--bad v-bad --good v-fixed
  npx lwt-regress gate --baseline installed --candidate-src ${regressed} --candidate 5.6.1 \
--html ${dir}/gate.html --markdown ${dir}/gate.md
`);
