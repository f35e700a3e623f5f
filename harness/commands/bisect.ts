import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { bisectCommits } from '../../src/bisect/bisect-commits.js';
import { bisectVersions } from '../../src/bisect/bisect-versions.js';
import { type BisectOutcome, isFreshBuild } from '../../src/bisect/outcome.js';
import { appendProbeLog, PROBE_EXIT, readProbeRequest } from '../../src/bisect/probe-protocol.js';
import { toAnswer } from '../../src/bisect/to-answer.js';
import { loadCases, singleCase } from '../../src/cases/load-cases.js';
import { EXIT } from '../../src/errors.js';
import { buildLwt } from '../../src/lwt/lwt-build.js';
import { resolveLwt } from '../../src/lwt/resolve.js';
import { treeVersion } from '../../src/lwt/tree-version.js';
import { compilerOf } from '../../src/probe/probe.js';
import { cachedProbe } from '../../src/probe/probe-cache.js';
import { reproductionOf } from '../../src/probe/reproduction.js';
import { findProjectFile } from '../../src/project/project-file.js';
import { formatBisect } from '../../src/report/bisect-text.js';
import { chosenBy } from '../../src/report/compilers.js';
import { styleFor } from '../../src/report/matrix-text.js';
import { findToolchain, type Toolchain } from '../../src/toolchain/ocamlfind.js';
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
      'bisect chooses the Lwt versions itself: ' +
        'use --good/--bad (and --versions, --lwt-git or --opam-root), not --lwt or --lwt-src',
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
  const onCompiler = (t: Toolchain) => say(`lwt-regress: every probe on OCaml ${t.name}, ${chosenBy(compilerOf(t))}`);
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
      lwtRegress: [process.execPath, cli],
      onStep: (line) => say(`  ${line}`),
      onCompiler,
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
      onCompiler,
    });
  }
  const command = ['lwt-regress', 'bisect', ...args].join(' ');
  process.stdout.write(
    json
      ? `${JSON.stringify({ schema: 'lwt-regress/bisect', schemaVersion: 1, command, ...outcome }, null, 2)}\n`
      : `${formatBisect(outcome, process.stdout.isTTY ? styleFor(process.stdout).width : undefined)}\n` +
          `  bisect again: ${command}\n`,
  );
  return outcome.kind === 'found' ? EXIT.ok : EXIT.untestable;
}

/**
 * One probe of a commit under `git bisect run` (see src/bisect/probe-protocol.ts):
 * the work tree is the Lwt source. Exits good, bad or skip; never anything
 * else, whatever goes wrong; and appends one log line for the bisect.
 */
export async function bisectProbeCommand(args: string[]): Promise<number> {
  try {
    const { values } = parse({ args, strict: true, options: { request: { type: 'string' } } });
    if (!values.request) throw usageError('bisect-probe needs --request FILE (it is started by bisect --commits)');
    const request = await readProbeRequest(values.request);
    const testCase = singleCase(await loadCases(request.caseDirs), request.caseName);
    const toolchain = await findToolchain(request.toolchain);
    const version = (await treeVersion(request.tree)) ?? request.versionHint ?? '0.0.0';
    const commit = (await execa('git', ['rev-parse', 'HEAD'], { cwd: request.tree })).stdout.trim();
    const source = {
      ...(await resolveLwt({ spec: version, src: request.tree }, toolchain)),
      origin: 'git' as const,
      commit,
      label: `${version} (${commit.slice(0, 10)})`,
    };
    const result = await cachedProbe(toolchain, source, await buildLwt(source, toolchain), testCase, request.settings);
    const reproduction = reproductionOf(result);
    await appendProbeLog(request.log, {
      commit,
      version,
      reproduction,
      summary: result.observed?.summary ?? `${result.status}: ${result.reason}`,
      observed: result.observed,
      reused: result.reused,
      freshBuild: isFreshBuild(result),
    });
    process.stderr.write(
      `lwt-regress: ${commit.slice(0, 10)}: ${reproduction} (${result.observed?.summary ?? result.reason})\n`,
    );
    return PROBE_EXIT[toAnswer(reproduction, request.findFix)];
  } catch (error) {
    process.stderr.write(`lwt-regress: probe failed, skipping this commit: ${(error as Error).message}\n`);
    return PROBE_EXIT.untestable;
  }
}
