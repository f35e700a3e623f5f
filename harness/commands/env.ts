import { EXIT, UserError } from '../../src/errors.js';
import { buildLwt } from '../../src/lwt/lwt-build.js';
import { prepareSuite } from '../../src/probe/suite.js';
import { findProjectFile } from '../../src/project/project-file.js';
import { shellWords } from '../../src/text/shell-words.js';
import { userOcamlpath } from '../../src/toolchain/user-ocamlpath.js';
import { casePackages, worldFor } from '../../src/world/world.js';
import { parse, usageError } from '../args.js';
import { OUTPUT_OPTIONS, progressTo } from '../report-outputs.js';
import { SELECTION_OPTIONS, toSuiteRequest } from '../selection.js';

/**
 * `lwt-regress env`: the Lwt world of one Lwt (the Lwt built, and the
 * packages on it that the project's cases, or the packages given, link,
 * rebuilt against it), as the environment that makes `dune build` or
 * `ocamlfind` link exactly that world: OCAMLPATH, and the compiler's own
 * variables when lwt-regress chose another compiler than the default.
 */
export async function envCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse({
    args,
    strict: true,
    allowPositionals: true,
    options: { ...SELECTION_OPTIONS, shell: { type: 'boolean' }, ...OUTPUT_OPTIONS },
  });
  progressTo(values);
  const request = toSuiteRequest(values, await findProjectFile(process.cwd()));
  if (request.lwt.length !== 1) throw usageError('env builds the world of one Lwt: give one --lwt (or --lwt-src)');
  const prepared = await prepareSuite(request);
  const source = prepared.sources[0]!;
  const compiler = await prepared.compilers.toolchainFor(source);
  if (!compiler.ok) throw new UserError(compiler.error, compiler.exitCode, 'Fix what stopped the compiler build');
  const { toolchain } = compiler;
  const lwt = await buildLwt(source, toolchain);
  if (!lwt.ok) throw new UserError(`Lwt ${source.label} does not build: ${lwt.error}`, EXIT.untestable);
  const packages = positionals.length ? positionals : ['lwt', 'lwt.unix', ...(await casePackages(prepared.cases))];
  const world = await worldFor(toolchain, source, lwt.build, packages, request.settings);
  if (!world.ok) throw new UserError(world.error, EXIT.untestable, 'Build your service against another Lwt');
  const ocamlpath = [...world.paths, ...(lwt.build.findlibPath ? [lwt.build.findlibPath] : [])];
  // The compiler's own variables (one lwt-regress built: its PATH, findlib.conf and library), as `env` sets them.
  const variables = toolchain.prefix.slice(1).filter((a) => /^[A-Z_]+=/.test(a));
  if (ocamlpath.length) variables.push(`OCAMLPATH=${[...ocamlpath, ...userOcamlpath()].join(':')}`);
  if (values.json) {
    const json = { schema: 'lwt-regress/env', schemaVersion: 1, lwt: source.label, ocaml: toolchain.name, variables };
    process.stdout.write(`${JSON.stringify({ ...json, rebuilt: world.rebuilt }, null, 2)}\n`);
  } else {
    const line = (v: string) => (values.shell ? `export ${shellWords([v])}` : v);
    process.stdout.write(variables.map((v) => `${line(v)}\n`).join(''));
  }
  return EXIT.ok;
}
