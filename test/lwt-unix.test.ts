/**
 * lwt.unix built from source (Debian's 5.6.1 tarball: src/unix/*.c and
 * src/unix/unix_c/), the findlib tree of a build, cases that name findlib
 * packages, and the build's bad inputs, all through the real tools.
 */
import { chmod, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES_DIR, loadCases } from '../src/cases/load-cases.js';
import { parseManifest } from '../src/cases/manifest.js';
import { EXIT } from '../src/errors.js';
import {
  makeGitRepository,
  makeOpamRepository,
  makeRegressedTree,
  makeSourceTree,
  patchTree,
} from '../src/fixtures/lwt-fixtures.js';
import { buildLwtFromSource } from '../src/lwt/lwt-build.js';
import { caseBinary } from '../src/probe/case-binary.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { findToolchain } from '../src/toolchain/ocamlfind.js';
import { runCli } from './support/cli.js';

let tmp: Awaited<ReturnType<typeof dir>>;
let pristine: string;
let regressed: string;
const at = (...parts: string[]) => join(tmp.path, ...parts);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-unix-' });
  pristine = await makeSourceTree(at('lwt-5.6.1'), '5.6.1');
  regressed = await makeRegressedTree(at('lwt-5.6.1-regressed'));
});
afterAll(() => tmp.cleanup());

async function run(args: string[], env: Record<string, string>) {
  const r = await runCli(['run', '--json', '--artifacts', at('artifacts'), ...args], { env, cwd: tmp.path });
  const results: ProbeResult[] = r.stdout.startsWith('{') ? JSON.parse(r.stdout).results : [];
  return { ...r, results, byCase: (name: string) => results.find((x) => x.case === name)! };
}

const cacheEntries = async (cache: string) => (await readdir(join(cache, 'lwt')).catch(() => [])).sort();

describe('lwt.unix from a source tree', () => {
  it('builds with its C stubs into a findlib tree, and the Lwt_main cases run on it', async () => {
    const env = { LWT_REGRESS_CACHE: at('cache-src') };
    const r = await run(['--lwt-src', pristine, '--lwt', '5.6.1', '--case', 'mutex-server,io-map-tower'], env);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(EXIT.ok);
    expect(r.byCase('mutex-server')).toMatchObject({ status: 'pass', observed: { outcome: 'clean' } });
    const tower = r.byCase('io-map-tower');
    expect(tower).toMatchObject({ status: 'pass', observed: { outcome: 'cycle' } });
    expect(tower.observed!.frames).toEqual(expect.arrayContaining(['Lwt.resolve', 'Lwt.run_in_resolution_loop']));
    const [entry] = (await cacheEntries(env.LWT_REGRESS_CACHE)).filter((e) => !e.includes('.'));
    const lib = join(env.LWT_REGRESS_CACHE, 'lwt', entry!, 'lib', 'lwt');
    const meta = await readFile(join(lib, 'META'), 'utf8');
    expect(meta).toMatch(/package "unix" \(/);
    const unixRequires = /package "unix" \([^)]*requires = "([^"]*)"/.exec(meta)![1]!.split(' ');
    expect(unixRequires).toEqual(
      expect.arrayContaining(['lwt', 'unix', 'bigarray', 'threads.posix', 'ocplib-endian.bigstring']),
    );
    expect(await readdir(join(lib, 'unix'))).toEqual(
      expect.arrayContaining(['lwt_unix.cmxa', 'lwt_unix.a', 'liblwt_unix_stubs.a', 'lwt_io.cmx', 'lwt_main.cmi']),
    );
  });

  it('a second run builds nothing', async () => {
    const env = { LWT_REGRESS_CACHE: at('cache-src') };
    const before = await cacheEntries(env.LWT_REGRESS_CACHE);
    const r = await run(['--lwt-src', pristine, '--lwt', '5.6.1', '--case', 'mutex-server,io-map-tower'], env);
    expect(r.exitCode).toBe(EXIT.ok);
    expect(r.results.map((x) => x.cached)).toEqual([
      { lwt: true, case: true },
      { lwt: true, case: true },
    ]);
    expect(await cacheEntries(env.LWT_REGRESS_CACHE)).toEqual(before);
  });

  it('catches the regressed Lwt_mutex in the server case, through the main loop', async () => {
    const env = { LWT_REGRESS_CACHE: at('cache-src') };
    const r = await run(['--lwt-src', regressed, '--lwt', '5.6.1', '--case', 'mutex-server'], env);
    expect(r.exitCode).toBe(EXIT.failed);
    const server = r.byCase('mutex-server');
    expect(server.status).toBe('fail');
    expect(server.observed!.outcome).toBe('cycle');
    expect(server.observed!.frames).toEqual(expect.arrayContaining(['Lwt.resolve', 'Lwt.run_in_resolution_loop']));
  });
});

describe('lwt.unix from opam and from git', () => {
  it('builds for a version served by a local opam repository and for a git tag', async () => {
    // Trees of their own (a touched lwt_main.ml), so that each source really builds.
    const forOpam = await makeSourceTree(at('lwt-opam'), '5.6.1');
    await patchTree(forOpam, 'unix/lwt_main.ml', '(*', '(* served by opam *)\n(*');
    const { root } = await makeOpamRepository(at('opam'), [{ version: '5.6.1', tree: forOpam }]);
    const repo = at('lwt.git');
    await makeGitRepository(repo, [
      {
        message: 'Lwt 5.6.1',
        tag: 'v1',
        apply: async (t) => {
          await makeSourceTree(t, '5.6.1');
          await patchTree(t, 'unix/lwt_main.ml', '(*', '(* from git *)\n(*');
        },
      },
    ]);
    const env = { LWT_REGRESS_CACHE: at('cache-origins') };
    for (const source of [
      ['--lwt', 'opam:5.6.1', '--opam-root', root],
      ['--lwt-git', repo, '--lwt', 'v1'],
    ]) {
      const r = await run([...source, '--case', 'mutex-server'], env);
      expect(r.stderr).toBe('');
      expect(r.byCase('mutex-server')).toMatchObject({ status: 'pass', cached: { lwt: false } });
    }
  });
});

describe('the findlib tree of a build', () => {
  it('makes ocamlfind link exactly that Lwt when it is first on OCAMLPATH', async () => {
    process.env.LWT_REGRESS_CACHE = at('cache-findlib');
    const toolchain = await findToolchain();
    const program = at('storm');
    await mkdir(program);
    await writeFile(join(program, 'storm.ml'), await readFile(join(CASES_DIR, 'mutex-unlock-storm', 'case.ml')));
    const outcome = async (tree: string) => {
      const built = await buildLwtFromSource(
        { origin: 'dir', version: '5.6.1', label: '5.6.1', dir: tree, reproduce: [] },
        toolchain,
      );
      if (!built.ok) throw new Error(built.error);
      const env = { OCAMLPATH: built.build.findlibPath! };
      const where = await execa('ocamlfind', ['query', 'lwt.unix'], { env });
      expect(where.stdout.trim()).toBe(join(built.build.findlibPath!, 'lwt', 'unix'));
      await execa('ocamlfind', ['ocamlopt', '-package', 'lwt', '-linkpkg', 'storm.ml', '-o', 'storm'], {
        cwd: program,
        env,
      });
      const r = await execa(join(program, 'storm'), ['100000'], { reject: false });
      return r.stdout.startsWith('clean:');
    };
    // Without the harness's SIGSEGV reset, the regressed Lwt_mutex still cannot serve every waiter.
    expect(await outcome(pristine)).toBe(true);
    expect(await outcome(regressed)).toBe(false);
    delete process.env.LWT_REGRESS_CACHE;
  });
});

describe('cases that name findlib packages', () => {
  it('link lwt.unix from the installed Lwt', async () => {
    const r = await run(['--lwt', 'installed', '--case', 'mutex-server,io-map-tower'], {
      LWT_REGRESS_CACHE: at('cache-installed'),
    });
    expect(r.exitCode).toBe(EXIT.ok);
    expect(r.results.map((x) => [x.case, x.status, x.observed?.outcome])).toEqual([
      ['mutex-server', 'pass', 'clean'],
      ['io-map-tower', 'pass', 'cycle'],
    ]);
  });

  it('are untestable when a package is not installed, naming it and how to install it', async () => {
    process.env.LWT_REGRESS_CACHE = at('cache-packages');
    const [storm] = (await loadCases()).cases.filter((c) => c.manifest.name === 'wakeup-chain');
    const testCase = { ...storm!, manifest: { ...storm!.manifest, packages: ['lwt.unix', 'no_such_package'] } };
    const toolchain = await findToolchain();
    const r = await caseBinary(testCase, { key: 'installed', unix: { ok: true } }, toolchain);
    expect(r).toMatchObject({ ok: false });
    expect(!r.ok && r.error).toMatch(/no_such_package.*not installed.*opam install no_such_package/);
    delete process.env.LWT_REGRESS_CACHE;
  });

  it('validates "packages" in case.json', () => {
    const manifest = {
      description: 'x',
      needs: '>=2.0.0',
      size: { default: 1, meaning: 'x' },
      expect: [{ lwt: '*', outcome: 'clean' }],
    };
    expect(parseManifest('ok', { ...manifest, packages: ['lwt.unix', 'ocplib-endian.bigstring'] }).packages).toEqual([
      'lwt.unix',
      'ocplib-endian.bigstring',
    ]);
    expect(parseManifest('none', manifest).packages).toEqual([]);
    for (const bad of ['lwt.unix', [1], ['lwt unix'], ['-package']])
      expect(() => parseManifest('bad', { ...manifest, packages: bad })).toThrow(/"packages" must be a list/);
  });
});

describe("trees in Lwt 2.x's camlp4 syntax", () => {
  it('are expanded through argument arrays: a cache path with a space or $(...) in it is only a path', async () => {
    // A tree whose core needs its own camlp4 extension, as 2.0 to 2.3 did (a stand-in written for this test).
    const tree = await makeSourceTree(at('lwt-camlp4'), '5.6.1');
    await mkdir(join(tree, 'syntax'));
    await writeFile(
      join(tree, 'syntax', 'pa_lwt.ml'),
      [
        'open Camlp4.PreCast',
        'open Syntax',
        'let () =',
        '  EXTEND Gram',
        '    expr: LEVEL "top" [ [ "fixture_let"; p = patt; "="; e = expr; "in"; b = expr LEVEL ";" ->',
        '      <:expr< let $p$ = $e$ in $b$ >> ] ];',
        '  END',
        '',
      ].join('\n'),
    );
    await patchTree(tree, 'lwt_switch.ml', '(*', 'let _fixture () = (fixture_let y = 1 in y) + 1\n(*');
    const cache = at('cache with space $(touch PWNED)');
    const r = await run(['--lwt-src', tree, '--lwt', '5.6.1', '--case', 'wakeup-chain,mutex-server'], {
      LWT_REGRESS_CACHE: cache,
    });
    expect(r.stderr).toBe('');
    expect(r.results.map((x) => [x.case, x.status])).toEqual([
      ['wakeup-chain', 'pass'],
      ['mutex-server', 'pass'],
    ]);
    expect(await readdir(tmp.path)).not.toContain('PWNED');
  });
});

describe('bad input', () => {
  it('C stubs that do not compile: lwt.unix untestable with the first C error, core-only cases pass', async () => {
    const broken = await makeSourceTree(at('lwt-broken-stub'), '5.6.1');
    await patchTree(broken, 'unix/unix_c/unix_read.c', '#include', '#error lwt-regress test: a broken stub\n#include');
    const env = { LWT_REGRESS_CACHE: at('cache-broken') };
    const r = await run(['--lwt-src', broken, '--lwt', '5.6.1', '--case', 'wakeup-chain,mutex-server'], env);
    expect(r.exitCode).toBe(EXIT.untestable);
    expect(r.byCase('wakeup-chain').status).toBe('pass');
    const server = r.byCase('mutex-server');
    expect(server.status).toBe('untestable');
    expect(server.reason).toMatch(
      /needs lwt\.unix, which is untestable on this Lwt: C stubs: .*unix_read\.c:\d+:\d+: error:/,
    );
    expect(server.reason).toMatch(/#error lwt-regress test: a broken stub/);
    // Remembered with the build: a compiler's diagnostic does not change.
    const again = await run(['--lwt-src', broken, '--lwt', '5.6.1', '--case', 'wakeup-chain,mutex-server'], env);
    expect(again.byCase('wakeup-chain').cached).toEqual({ lwt: true, case: true });
    expect(again.byCase('mutex-server').reason).toBe(server.reason);
  });

  /** A PATH with the OCaml tools but no C compiler, or one whose compiler finds no C headers. */
  async function toolsPath(name: string, gcc?: 'no-headers'): Promise<string> {
    const bin = at(name);
    await mkdir(bin);
    const tools = ['ocamlfind', 'ocamlopt', 'ocamlopt.opt', 'ocamlc', 'ocamlc.opt', 'ocamldep', 'ocamldep.opt'];
    for (const tool of [...tools, 'ocamlmklib', 'ocamllex', 'ocaml', 'cppo', 'camlp4o', 'camlp4of', 'as', 'ar', 'ld'])
      await symlink(`/usr/bin/${tool}`, join(bin, tool)).catch(() => undefined);
    if (gcc) {
      const cc = (await execa('ocamlfind', ['ocamlopt', '-config-var', 'c_compiler'])).stdout.trim();
      await writeFile(join(bin, cc), `#!/bin/sh\nexec /usr/bin/${cc} -nostdinc "$@"\n`);
      await chmod(join(bin, cc), 0o755);
    }
    return bin;
  }

  it('a missing C compiler is exit 8 naming the Debian package', async () => {
    const env = { LWT_REGRESS_CACHE: at('cache-nocc'), PATH: await toolsPath('bin-nocc') };
    const r = await run(['--lwt-src', pristine, '--lwt', '5.6.1', '--case', 'wakeup-chain'], env);
    expect(r.exitCode).toBe(EXIT.toolchain);
    expect(r.stderr.trim()).toMatch(
      /^lwt-regress: the C compiler OCaml uses \(\S+gcc\) is not installed.*apt-get install gcc/,
    );
  });

  it('missing C headers are exit 8 naming the Debian package', async () => {
    const env = { LWT_REGRESS_CACHE: at('cache-noheaders'), PATH: await toolsPath('bin-noheaders', 'no-headers') };
    const r = await run(['--lwt-src', pristine, '--lwt', '5.6.1', '--case', 'wakeup-chain'], env);
    expect(r.exitCode).toBe(EXIT.toolchain);
    expect(r.stderr.trim()).toMatch(
      /^lwt-regress: the C library's headers are missing \(stdio\.h.*apt-get install libc6-dev/,
    );
  });

  it('a build killed by a signal is not remembered as untestable', async () => {
    const bin = at('bin-killed');
    await mkdir(bin);
    await writeFile(join(bin, 'cppo'), '#!/bin/sh\nkill -9 $$\n');
    await chmod(join(bin, 'cppo'), 0o755);
    const env = { LWT_REGRESS_CACHE: at('cache-killed') };
    const killed = await run(['--lwt-src', pristine, '--lwt', '5.6.1', '--case', 'mutex-server'], {
      ...env,
      PATH: `${bin}:${process.env.PATH}`,
    });
    expect(killed.byCase('mutex-server').status).toBe('untestable');
    expect(killed.byCase('mutex-server').reason).toMatch(/cppo was killed by SIGKILL.*not remembered/);
    expect((await cacheEntries(env.LWT_REGRESS_CACHE)).filter((e) => e.endsWith('.untestable.json'))).toEqual([]);
    const retried = await run(['--lwt-src', pristine, '--lwt', '5.6.1', '--case', 'mutex-server'], env);
    expect(retried.byCase('mutex-server')).toMatchObject({ status: 'pass', cached: { lwt: false } });
  });
});
