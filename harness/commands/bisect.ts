import { appendFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { reproduction, toAnswer } from '../../src/bisect/answer.js';
import { bisectCommits } from '../../src/bisect/bisect-commits.js';
import { bisectVersions } from '../../src/bisect/bisect-versions.js';
import { type BisectOutcome, isFreshBuild } from '../../src/bisect/outcome.js';
import { loadCases, singleCase } from '../../src/cases/load-cases.js';
import { EXIT } from '../../src/errors.js';
import { buildLwt } from '../../src/lwt/lwt-build.js';
import { resolveLwt } from '../../src/lwt/resolve.js';
import { treeVersion } from '../../src/lwt/tree-version.js';
import { cachedProbe } from '../../src/probe/probe-cache.js';
import { findProjectFile } from '../../src/project/project-file.js';
import { formatBisect } from '../../src/report/bisect-text.js';
import { findToolchain } from '../../src/toolchain/ocamlfind.js';
import { parse, usageError } from '../args.js';
import { OUTPUT_OPTIONS, progressTo } from '../report-outputs.js';
import { SELECTION_OPTIONS, toSuiteRequest } from '../selection.js';

const cli = fileURLToPath(new URL('../cli.js', import.meta.url));

export async function bisectCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      ...SELECTION_OPTIONS,
      good: { type: 'string' },
      bad: { type: 'string' },
      'find-fix': { type: 'boolean' },
      commits: { type: 'boolean' },
      versions: { type: 'string', multiple: true },
      ...OUTPUT_OPTIONS,
    },
  });
  if (positionals.length > 0) throw usageError(`bisect takes options only, not '${positionals[0]}'`);
  const caseNames = values.case?.flatMap((c) => c.split(',')).filter(Boolean) ?? [];
  if (caseNames.length !== 1) throw usageError('bisect needs exactly one --case');
  if (!values.good || !values.bad)
    throw usageError(
      'bisect needs --good and --bad (a version or commit where the case runs clean, and one where it crashes)',
    );
  if (values.lwt || values['lwt-src'])
    throw usageError(
      'bisect chooses the Lwt versions itself: use --good/--bad (and --versions, --lwt-git or --opam-root), not --lwt or --lwt-src',
    );
  const say = progressTo(values);
  const project = await findProjectFile(process.cwd());
  const { toolchain, settings, caseDirs } = toSuiteRequest(
    { ...values, case: undefined, lwt: undefined, 'lwt-git': undefined },
    project,
  );
  const findFix = values['find-fix'] ?? false;
  const caseName = caseNames[0]!;
  const json = values.json ?? false;
  let outcome: BisectOutcome;
  if (values.commits) {
    if (values.versions)
      throw usageError('--versions lists releases; with --commits, --good and --bad are refs of --lwt-git');
    const git = values['lwt-git'] ?? 'https://github.com/ocsigen/lwt.git';
    say(
      `lwt-regress: bisecting the commits of ${git} from ${values.good} to ${values.bad} ` +
        `with git bisect run (case ${caseName})`,
    );
    outcome = await bisectCommits({
      caseName,
      caseDirs,
      git,
      good: values.good,
      bad: values.bad,
      findFix,
      toolchain,
      settings,
      probeCommand: [process.execPath, cli, 'bisect-probe'],
      onStep: (line) => say(`  ${line}`),
    });
  } else {
    const versions = values.versions?.flatMap((v) => v.split(',')).filter(Boolean);
    outcome = await bisectVersions({
      caseName,
      caseDirs,
      good: values.good,
      bad: values.bad,
      findFix,
      versions,
      git: values['lwt-git'],
      opamRoot: values['opam-root'],
      toolchain,
      settings,
      onStep: (s) => say(`  ${s.label}: ${s.reproduction}${s.reused ? ' (cached)' : ''} — ${s.summary}`),
    });
  }
  const command = ['lwt-regress', 'bisect', ...args].join(' ');
  process.stdout.write(
    json
      ? `${JSON.stringify({ schema: 'lwt-regress/bisect', schemaVersion: 1, command, ...outcome }, null, 2)}\n`
      : `${formatBisect(outcome)}\n  bisect again: ${command}\n`,
  );
  return outcome.kind === 'found' ? EXIT.ok : EXIT.untestable;
}

/**
 * One probe of a commit under `git bisect run`: the work tree is the Lwt
 * source. Exit 0 good (old), 1 bad (new), 125 untestable; never anything
 * else, whatever goes wrong, and one JSON line per probe for the bisect.
 */
export async function bisectProbeCommand(args: string[]): Promise<number> {
  try {
    const { values } = parse({
      args,
      strict: true,
      options: {
        ...SELECTION_OPTIONS,
        log: { type: 'string' },
        'version-hint': { type: 'string' },
        'find-fix': { type: 'boolean' },
      },
    });
    const tree = resolve(values['lwt-src']!);
    const {
      toolchain: toolchainRequest,
      settings,
      caseDirs,
    } = toSuiteRequest({
      ...values,
      'lwt-src': undefined,
      case: undefined,
    });
    const testCase = singleCase(await loadCases(caseDirs), values.case?.[0] ?? '');
    const toolchain = await findToolchain(toolchainRequest);
    const version = (await treeVersion(tree)) ?? values['version-hint'] ?? '0.0.0';
    const commit = (await execa('git', ['rev-parse', 'HEAD'], { cwd: tree })).stdout.trim();
    const source = {
      ...(await resolveLwt({ spec: version, src: tree }, toolchain)),
      origin: 'git' as const,
      commit,
      label: `${version} (${commit.slice(0, 10)})`,
    };
    const result = await cachedProbe(toolchain, source, await buildLwt(source, toolchain), testCase, settings);
    const r = reproduction(result);
    if (values.log) {
      await appendFile(
        values.log,
        `${JSON.stringify({ commit, version, reproduction: r, summary: result.observed?.summary ?? `${result.status}: ${result.reason}`, observed: result.observed, reused: result.reused, freshBuild: isFreshBuild(result) })}\n`,
      );
    }
    process.stderr.write(`lwt-regress: ${commit.slice(0, 10)}: ${r} (${result.observed?.summary ?? result.reason})\n`);
    const answer = toAnswer(r, values['find-fix'] ?? false);
    return answer === 'good' ? 0 : answer === 'bad' ? 1 : 125;
  } catch (error) {
    process.stderr.write(`lwt-regress: probe failed, skipping this commit: ${(error as Error).message}\n`);
    return 125;
  }
}
