#!/usr/bin/env node
/**
 * `npm run ocaml -- VERSION...`: builds each OCaml (with findlib, and the
 * packages lwt.unix needs) from the npm registry's `ocaml` source package, or
 * the era compiler from Debian's sources, into lwt-regress's cache, once, and
 * prints its prefix, for `--ocaml`. Progress goes to stderr, prefixes to stdout.
 */
import { EXIT, UserError } from '../src/errors.js';
import { installInterruptHandlers } from '../src/run/interrupt.js';
import { installEraCompiler, UNSAFE_STRING_OCAML } from '../src/toolchain/era-compiler.js';
import { installOcaml } from '../src/toolchain/ocaml-install.js';

const USAGE = `usage: npm run ocaml -- VERSION [VERSION...]

Builds OCaml VERSION from the npm registry's ocaml source package (4.10.0, 4.11.0, 4.12.0,
4.14.0, 4.14.1 (published as 4.14.1000), 5.1.4 (which is OCaml 5.1.0), 5.3.0) with findlib
and ocplib-endian from Debian's sources (./setup fetches them) into the lwt-regress cache, once,
and prints the prefix to pass to --ocaml. ${UNSAFE_STRING_OCAML.name} is Debian's OCaml 4.13.1
built from Debian's sources with --disable-force-safe-string, with findlib, camlp4, react,
result and ocplib-endian: the compiler lwt-regress chooses itself for Lwt 2.0-2.4.6, whose
lwt.unix writes into strings. About 3-15 minutes per compiler on 2 cores; later calls return
at once (a compiler built before ocplib-endian was added gains it in seconds).`;

async function main(versions: string[]): Promise<number> {
  const era = (v: string) => v === UNSAFE_STRING_OCAML.name;
  if (versions.length === 0 || versions.some((v) => !era(v) && !/^\d+\.\d+\.\d+$/.test(v))) {
    process.stderr.write(`${USAGE}\n`);
    return versions.includes('--help') ? EXIT.ok : EXIT.usage;
  }
  for (const version of versions) {
    process.stderr.write(`lwt-regress: OCaml ${version}\n`);
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const installed = era(version) ? await installEraCompiler({ log }) : await installOcaml(version, { log });
    if (!installed.built) process.stderr.write(`  already built (OCaml ${installed.ocamlVersion})\n`);
    process.stdout.write(`${installed.prefix}\n`);
  }
  return EXIT.ok;
}

installInterruptHandlers();
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UserError)) throw error;
  process.stderr.write(`lwt-regress: ${error.describe()}\n`);
  process.exitCode = error.exitCode;
}
