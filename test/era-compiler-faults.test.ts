/**
 * When the compiler a tree needs cannot be built, the probes that need it are
 * untestable, with the reason and the machine's exit code (8: a tool or a
 * source package; 10: the disk), never FAIL; and no half-built compiler is
 * left for a later run. Each case starts from an empty cache of its own, so
 * the era compiler really is built (and really fails): a broken C compiler,
 * apt without a deb-src entry (apt-get itself, through APT_CONFIG), a full
 * temporary disk, and an interrupt in the middle of the build.
 */
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { makeSourceTree, writeIntoStrings } from '../src/fixtures/lwt-fixtures.js';
import { exists } from '../src/io/exists.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { taggedProcesses } from '../src/run/process-tags.js';
import { CLI, runCli } from './support/cli.js';
import { ERA } from './support/compilers.js';
import { joined } from './support/regex.js';
import { canMount, mountTmpfs, NEEDS_ROOT, unmount } from './support/tmpfs.js';

let tmp: Awaited<ReturnType<typeof dir>>;
let strings: string;
const at = (...parts: string[]) => join(tmp.path, ...parts);
const mounts: string[] = [];

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-era-faults-' });
  strings = await makeSourceTree(at('strings'), '5.6.1');
  await writeIntoStrings(strings);
}, 60_000);
afterAll(async () => {
  for (const m of mounts) await unmount(m);
  await tmp.cleanup();
});

/** A fresh cache and temporary directory for one case: nothing built, nothing left from another. */
async function fresh(name: string) {
  const cache = at(name, 'cache');
  const tmpdir = at(name, 'tmp');
  await mkdir(cache, { recursive: true });
  await mkdir(tmpdir, { recursive: true });
  return { cache, tmpdir, env: { LWT_REGRESS_CACHE: cache, TMPDIR: tmpdir } };
}

/** Nothing a later run could take for a compiler: no prefix, no lock, no staging, no work directory. */
async function nothingLeft(cache: string, tmpdir: string) {
  expect(await exists(join(cache, 'ocaml', ERA))).toBe(false);
  expect(
    (await readdir(join(cache, 'ocaml')).catch(() => [] as string[])).filter((f) => !f.startsWith('failed-')),
  ).toEqual([]);
  expect((await readdir(tmpdir)).filter((f) => f.startsWith('lwt-regress-ocaml-'))).toEqual([]);
}

const probeOf = (stdout: string) => (JSON.parse(stdout) as { results: ProbeResult[] }).results[0]!;
const run = ['run', '--lwt-src', '', '--case', 'mutex-server', '--json'];
const runOn = () => run.map((a) => a || strings);

describe('the era compiler cannot be built', () => {
  it('with a broken C compiler: untestable, exit 8, the step and its error named', async () => {
    const { cache, tmpdir, env } = await fresh('cc');
    const bin = at('cc', 'bin');
    await mkdir(bin);
    for (const cc of ['gcc', 'cc']) {
      await writeFile(
        join(bin, cc),
        '#!/bin/sh\necho "cc: fatal error: this C compiler is broken on purpose" >&2\nexit 1\n',
      );
      await chmod(join(bin, cc), 0o755);
    }
    const r = await runCli(runOn(), { env: { ...env, PATH: `${bin}:${process.env.PATH}` }, timeout: 120_000 });
    expect(r.exitCode, r.stderr).toBe(EXIT.toolchain);
    const probe = probeOf(r.stdout);
    expect(probe).toMatchObject({ status: 'untestable', machineExit: EXIT.toolchain, compiler: { name: ERA } });
    expect(probe.reason).toMatch(
      joined(
        /^OCaml 4\.13\.1\+unsafe-string, which this Lwt needs \(this Lwt writes into strings .*\), /,
        /could not be built: building OCaml 4\.13\.1\+unsafe-string failed at configure: /,
      ),
    );
    await nothingLeft(cache, tmpdir);
  });

  it("without apt's deb-src entry and without the tarballs: untestable, exit 8, naming ./setup", async () => {
    const { cache, tmpdir, env } = await fresh('apt');
    await mkdir(at('apt', 'lists', 'partial'), { recursive: true });
    await mkdir(at('apt', 'none'));
    const conf = at('apt', 'apt.conf');
    await writeFile(
      conf,
      `Dir::Etc::SourceList "/dev/null";\nDir::Etc::SourceParts "${at('apt', 'none')}";\n` +
        `Dir::State::Lists "${at('apt', 'lists')}";\n`,
    );
    const r = await runCli(runOn(), {
      env: { ...env, APT_CONFIG: conf, LWT_REGRESS_DEBIAN_SOURCES: at('apt', 'none') },
      timeout: 60_000,
    });
    expect(r.exitCode, r.stderr).toBe(EXIT.toolchain);
    const probe = probeOf(r.stdout);
    expect(probe.status).toBe('untestable');
    expect(probe.reason).toMatch(
      /cannot fetch Debian's ocaml source with apt-get: E: You must put some 'deb-src' URIs/,
    );
    expect(probe.reason).toMatch(/Run \.\/setup as root once: it adds the deb-src entry apt needs/);
    await nothingLeft(cache, tmpdir);
  });

  it.skipIf(!canMount)(`on a full temporary disk: untestable, exit 10 (${NEEDS_ROOT})`, async () => {
    const { cache, env } = await fresh('disk');
    const small = await mountTmpfs(at('disk', 'small-tmp'), 2048);
    mounts.push(small);
    const r = await runCli(runOn(), { env: { ...env, TMPDIR: small }, timeout: 120_000 });
    expect(r.exitCode, r.stderr).toBe(EXIT.environment);
    const probe = probeOf(r.stdout);
    expect(probe).toMatchObject({ status: 'untestable', machineExit: EXIT.environment });
    expect(probe.reason).toMatch(/failed at unpack ocaml: .*No space left on device/);
    await nothingLeft(cache, small);
  });
});

describe('an interrupted build of the era compiler', () => {
  it('ends every process it started and leaves no compiler, lock or work directory', async () => {
    const { cache, tmpdir, env } = await fresh('interrupt');
    const ocamlInstall = CLI.replace(/cli\.js$/, 'ocaml-install.js');
    const build = execa(process.execPath, [ocamlInstall, ERA], { env, reject: false, all: true });
    let said = '';
    // Interrupted once `make` is under way: configure has reported its time.
    await new Promise<void>((resolve) =>
      build.all?.on('data', (chunk: Buffer) => {
        said += chunk.toString();
        if (/ {2}configure: /.test(said)) resolve();
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    build.kill('SIGINT');
    const ended = await build;
    expect(ended.exitCode, ended.all).toBe(EXIT.interrupted);
    expect(taggedProcesses('LWT_REGRESS_CACHE', cache)).toEqual([]);
    await nothingLeft(cache, tmpdir);
  }, 120_000);
});
