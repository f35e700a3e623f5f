/**
 * The era-compatibility step of the from-source build: what old lwt.unix
 * needs from a newer compiler. The parts (OCaml text without comments, the
 * variant types of the compiler's own unix.mli against the toplevel's view
 * of them, the completion of re-exports, the rewrites of changed Unix and
 * Bigarray functions, pa_lwt's plain-parsing syntax), then the step for real:
 * Debian's Lwt 5.6.1 tree written back the way older eras wrote lwt.unix
 * builds with the step, and does not without it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeSourceTree, patchTree } from '../src/fixtures/lwt-fixtures.js';
import { usesPlainParsingSyntax } from '../src/lwt/camlp4.js';
import { compilerApi, rewriteChangedApi } from '../src/lwt/compat-api.js';
import { completeReexports } from '../src/lwt/compat-reexports.js';
import { compilerConfig } from '../src/lwt/compiler-config.js';
import { buildLwtFromSource } from '../src/lwt/lwt-build.js';
import { codeOnly } from '../src/lwt/ocaml-text.js';
import { stringFlags, writesIntoStrings } from '../src/lwt/string-mode.js';
import { unixVariants } from '../src/lwt/unix-variants.js';
import { findToolchain } from '../src/toolchain/ocamlfind.js';
import { runCli } from './support/cli.js';

/** The step can be turned off in this file only, to show what the build does without it. */
const step = vi.hoisted(() => ({ enabled: true }));
vi.mock('../src/lwt/compat.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/lwt/compat.js')>();
  return {
    ...actual,
    applyCompat: (...args: Parameters<typeof actual.applyCompat>) =>
      step.enabled ? actual.applyCompat(...args) : Promise.resolve([]),
  };
});

let tmp: Awaited<ReturnType<typeof dir>>;
const at = (...parts: string[]) => join(tmp.path, ...parts);
let unixMli: string;

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-compat-' });
  const stdlib = (await execa('ocamlfind', ['ocamlc', '-where'])).stdout.trim();
  unixMli = await readFile(join(stdlib, 'unix.mli'), 'utf8');
});
afterAll(() => tmp.cleanup());

describe('OCaml text without comments, literals and directives', () => {
  it('keeps the length and the lines, and blanks only what is not code', () => {
    const source = [
      'let a = "(* not a comment *)" (* a (* nested *) comment with "a *) string" *)',
      "let q = '\"' and r = '\\'' and s = 'x' (* raise_lwt *)",
      '# 12 "src/unix/lwt_unix.cppo.ml"',
      "type 'a t = A of 'a (* | B *)",
      'let u = {id|raise_lwt|id}',
    ].join('\n');
    const code = codeOnly(source);
    expect(code).toHaveLength(source.length);
    expect(code.split('\n').map((l) => l.trimEnd())).toEqual([
      'let a = "                   "',
      "let q = ' ' and r = '  ' and s = ' '",
      '',
      "type 'a t = A of 'a",
      'let u = {id|         |id}',
    ]);
  });
});

describe("the variant types of the compiler's unix.mli", () => {
  it('are what the toplevel says they are, constructor by constructor', async () => {
    const types = unixVariants(unixMli);
    expect([...types.keys()]).toEqual(expect.arrayContaining(['open_flag', 'socket_bool_option', 'sockaddr', 'error']));
    const script = ['#load "unix.cma";;', ...[...types.keys()].map((t) => `#show_type Unix.${t};;`)].join('\n');
    const shown = (await execa('ocaml', ['-noprompt', '-noinit'], { input: `${script}\n` })).stdout;
    for (const [type, constructors] of types) {
      const printed = new RegExp(`^type ${type} =([\\s\\S]*?)(?=^type |$(?![\\s\\S]))`, 'm').exec(shown)?.[1] ?? '';
      const expected = printed
        .split('|')
        .map((d) => d.replace(/\s+/g, ' ').trim())
        .filter(Boolean);
      expect(
        constructors.map((c) => c.name),
        type,
      ).toEqual(expected.map((d) => /^\w+/.exec(d)![0]));
      // A re-export that lists only the first constructor gets the others, as the compiler prints them.
      const { text } = completeReexports(`type t = Unix.${type} = ${constructors[0]!.name}`, types);
      expect(text.split(' | ').slice(1), type).toEqual(expected.slice(1));
    }
  });
});

describe('completing re-exports of Unix variants', () => {
  const unix = () => unixVariants(unixMli);

  it("appends the compiler's newer constructors on the last constructor's line", () => {
    const old = [
      '(* as Lwt 2.3 wrote it *)',
      'type open_flag =',
      '    Unix.open_flag =',
      '  | O_RDONLY | O_WRONLY | O_RDWR | O_NONBLOCK | O_APPEND | O_CREAT',
      '  | O_TRUNC | O_EXCL | O_NOCTTY | O_DSYNC | O_SYNC',
      '  | O_RSYNC  (* the last one, 2011 *)',
      '',
      'val openfile : string -> open_flag list -> int -> unit',
    ].join('\n');
    const { text, changes } = completeReexports(old, unix());
    expect(changes).toEqual([{ type: 'open_flag', added: ['O_SHARE_DELETE', 'O_CLOEXEC', 'O_KEEPEXEC'] }]);
    expect(text.split('\n')).toHaveLength(old.split('\n').length);
    expect(text.split('\n')[5]).toBe('  | O_RSYNC | O_SHARE_DELETE | O_CLOEXEC | O_KEEPEXEC  (* the last one, 2011 *)');
  });

  it('reads through attributes, comments and preprocessor lines, and names argument types from outside Unix', () => {
    const guarded = [
      'type socket_bool_option = Unix.socket_bool_option =',
      '  | SO_DEBUG [@ocaml.doc "a | b"] | SO_BROADCAST | SO_REUSEADDR | SO_KEEPALIVE',
      '#if ocaml_version >= (3, 13)',
      '  | SO_DONTROUTE | SO_OOBINLINE | SO_ACCEPTCONN | TCP_NODELAY | IPV6_ONLY',
      '#endif',
      'type getaddrinfo_option = Unix.getaddrinfo_option = AI_FAMILY of Unix.socket_domain',
    ].join('\n');
    const { text, changes } = completeReexports(guarded, unix());
    expect(changes).toEqual([
      { type: 'socket_bool_option', added: ['SO_REUSEPORT'] },
      {
        type: 'getaddrinfo_option',
        added: ['AI_SOCKTYPE', 'AI_PROTOCOL', 'AI_NUMERICHOST', 'AI_CANONNAME', 'AI_PASSIVE'],
      },
    ]);
    expect(text.split('\n')[3]).toMatch(/IPV6_ONLY \| SO_REUSEPORT$/);
    expect(text.split('\n')[5]).toMatch(/AI_FAMILY of Unix\.socket_domain \| AI_SOCKTYPE of Unix\.socket_type \| /);
  });

  it('leaves alone what is complete, not a prefix, not a re-export, or not a variant', () => {
    const unchanged = [
      'type seek_command = Unix.seek_command = SEEK_SET | SEEK_CUR | SEEK_END',
      'type msg_flag = Unix.msg_flag = MSG_PEEK | MSG_OOB',
      'type open_flag = O_RDONLY',
      'type file_perm = Unix.file_perm',
      'type stats = Unix.stats = { st_dev : int }',
      '(* type shutdown_command = Unix.shutdown_command = SHUTDOWN_RECEIVE *)',
    ].join('\n');
    expect(completeReexports(unchanged, unix())).toEqual({ text: unchanged, changes: [] });
  });
});

describe('rewriting Unix and Bigarray functions the compiler changed', () => {
  const newer = { socketpairOptional: true, array1MapFileRemoved: true };

  it("are told from the compiler's interfaces", () => {
    expect(compilerApi('val socketpair :\n  ?cloexec: (* a *) bool -> socket_domain -> int', 'val x : int')).toEqual(
      newer,
    );
    const old = compilerApi('val socketpair : socket_domain -> int', 'module Array1 : sig val map_file : int end');
    expect(old).toEqual({ socketpairOptional: false, array1MapFileRemoved: false });
    expect(compilerApi('', undefined).array1MapFileRemoved).toBe(false);
  });

  it('eta-expands Unix.socketpair used as a value, and maps Array1.map_file onto Unix.map_file', () => {
    const source = [
      'let socketpair dom typ proto =',
      '  let do_socketpair = if Sys.win32 then stub_socketpair else Unix.socketpair  in',
      '  let (a, b) = Unix.socketpair dom typ proto in (* Unix.socketpair in a comment *)',
      'let map_file ~fd ?pos ~shared ?(size=(-1)) () =',
      '  Array1.map_file fd ?pos char c_layout shared size',
    ].join('\n');
    const { text, changes } = rewriteChangedApi(source, newer);
    expect(text.split('\n')).toEqual([
      'let socketpair dom typ proto =',
      '  let do_socketpair = if Sys.win32 then stub_socketpair else (fun d t p -> Unix.socketpair d t p)  in',
      '  let (a, b) = Unix.socketpair dom typ proto in (* Unix.socketpair in a comment *)',
      'let map_file ~fd ?pos ~shared ?(size=(-1)) () =',
      '  (fun fd ?pos kind layout shared size -> ' +
        'Bigarray.array1_of_genarray (Unix.map_file fd ?pos kind layout shared [|size|])) ' +
        'fd ?pos char c_layout shared size',
    ]);
    expect(changes).toHaveLength(2);
    expect(rewriteChangedApi(source, { socketpairOptional: false, array1MapFileRemoved: false }).text).toBe(source);
  });
});

describe("pa_lwt's syntax that parses as plain OCaml", () => {
  it('is raise_lwt or assert_lwt in code, not in a comment or a string', () => {
    expect(usesPlainParsingSyntax(['let f () = raise_lwt Exit'])).toBe(true);
    expect(usesPlainParsingSyntax(['let f x = assert_lwt (x > 0)'])).toBe(true);
    expect(usesPlainParsingSyntax(['(* raise_lwt Exit *) let s = "raise_lwt"', 'let raise_lwt_ = 1'])).toBe(false);
  });
});

/**
 * Debian's Lwt 5.6.1 with lwt.unix written back as older eras wrote what
 * newer OCaml changed (the text here is this test's own): `open_flag`
 * without O_SHARE_DELETE, O_CLOEXEC and O_KEEPEXEC (as 2.3.x), no
 * SO_REUSEPORT (as 2.7.1 to 5.3.0), Unix.socketpair as a value in an `if`
 * (as 2.4.8 to 2.7.0), Bigarray's Array1.map_file (as 2.4.7 to 4.1.0).
 */
async function olderEraTree(dest: string): Promise<string> {
  const tree = await makeSourceTree(dest, '5.6.1');
  for (const file of ['unix/lwt_unix.cppo.ml', 'unix/lwt_unix.cppo.mli']) {
    await patchTree(tree, file, '  | O_RSYNC\n  | O_SHARE_DELETE\n  | O_CLOEXEC\n  | O_KEEPEXEC\n', '  | O_RSYNC\n');
    await patchTree(
      tree,
      file,
      '  | IPV6_ONLY\n#if OCAML_VERSION >= (4, 12, 0)\n  | SO_REUSEPORT\n#endif\n',
      '  | IPV6_ONLY\n',
    );
  }
  const socketpair = await readFile(join(tree, 'src', 'unix', 'lwt_unix.cppo.ml'), 'utf8');
  const from = socketpair.indexOf('  let (s1, s2) =\n#if OCAML_VERSION >= (4, 14, 0)');
  const to = socketpair.indexOf('  (mk_ch ~blocking:false s1, mk_ch ~blocking:false s2)', from);
  await patchTree(
    tree,
    'unix/lwt_unix.cppo.ml',
    socketpair.slice(from, to),
    [
      '  ignore cloexec;',
      '  let do_socketpair = if Sys.win32 then (fun d t p -> stub_socketpair d t p) else Unix.socketpair in',
      '  let (s1, s2) = do_socketpair dom typ proto in',
      '',
    ].join('\n'),
  );
  await patchTree(
    tree,
    'unix/lwt_bytes.ml',
    '  Unix.map_file fd ?pos char c_layout shared [|size|]\n  |> Bigarray.array1_of_genarray',
    '  Array1.map_file fd ?pos char c_layout shared size',
  );
  return tree;
}

describe('the step for real', () => {
  it("builds an older era's lwt.unix, which does not build without it, never writing to the tree given", async () => {
    const tree = await olderEraTree(at('lwt-older-era'));
    const edited = ['lwt_unix.cppo.ml', 'lwt_unix.cppo.mli', 'lwt_bytes.ml'].map((f) => join(tree, 'src', 'unix', f));
    const contents = () => Promise.all(edited.map((f) => readFile(f, 'utf8')));
    const before = await contents();
    const toolchain = await findToolchain();
    const build = async (cache: string) => {
      process.env.LWT_REGRESS_CACHE = cache;
      const source = { origin: 'dir' as const, version: '5.6.1', label: '5.6.1', dir: tree, reproduce: [] };
      const r = await buildLwtFromSource(source, toolchain);
      delete process.env.LWT_REGRESS_CACHE;
      if (!r.ok) throw new Error(r.error);
      return r.build.unix;
    };

    step.enabled = false;
    const without = await build(at('cache-without'));
    step.enabled = true;
    expect(without).toMatchObject({ ok: false });
    expect(!without.ok && without.error).toMatch(/lwt_unix\.cppo\.mli.*Unix\.open_flag/s);

    expect(await build(at('cache-with'))).toEqual({ ok: true });
    expect(await contents()).toEqual(before);

    // The Lwt_main case runs on it (the build is the cached one).
    const r = await runCli(
      ['run', '--json', '--artifacts', at('artifacts'), '--lwt-src', tree, '--lwt', '5.6.1', '--case', 'mutex-server'],
      { env: { LWT_REGRESS_CACHE: at('cache-with') } },
    );
    expect(JSON.parse(r.stdout).results[0]).toMatchObject({
      status: 'pass',
      observed: { outcome: 'clean' },
      cached: { lwt: true },
    });
  });
});

describe('trees that write into strings (Lwt 2.0 to 2.4.6)', () => {
  it('are told by String.create, String.set and String.fill in code', () => {
    expect(writesIntoStrings(['let b = String.create 4096'])).toBe(true);
    expect(writesIntoStrings(['let f s = String.unsafe_set s 0 c'])).toBe(true);
    expect(writesIntoStrings(['let b = Bytes.create 4096 (* was String.create *)', 'let s = "String.set"'])).toBe(
      false,
    );
  });

  it('are compiled with -unsafe-string where the compiler accepts it, and named as the reason where not', () => {
    expect(stringFlags(true, true)).toEqual({ flags: ['-unsafe-string'], hint: undefined });
    expect(stringFlags(false, true)).toEqual({ flags: [], hint: undefined });
    expect(stringFlags(false, false)).toEqual({ flags: [], hint: undefined });
    expect(stringFlags(true, false)).toMatchObject({
      flags: [],
      hint: expect.stringMatching(/--disable-force-safe-string/),
    });
  });

  it("build with this machine's compiler as it allows: with -unsafe-string, or untestable saying why", async () => {
    const tree = await makeSourceTree(at('lwt-writes-strings'), '5.6.1');
    await patchTree(
      tree,
      'unix/lwt_bytes.ml',
      'let map_file',
      "let _in_place () =\n  let s = String.make 1 'a' in\n  String.set s 0 'x';\n  s\n\nlet map_file",
    );
    const toolchain = await findToolchain();
    const config = await compilerConfig(toolchain, tree);
    const ocamlopt = await execa('ocamlfind', ['ocamlopt', '-config'], { reject: false });
    expect(config.unsafeStringAllowed).toBe(/^safe_string: false$/m.test(ocamlopt.stdout));
    process.env.LWT_REGRESS_CACHE = at('cache-strings');
    const r = await buildLwtFromSource(
      { origin: 'dir', version: '5.6.1', label: '5.6.1', dir: tree, reproduce: [] },
      toolchain,
    );
    delete process.env.LWT_REGRESS_CACHE;
    expect(r).toMatchObject({ ok: true });
    const unix = r.ok ? r.build.unix : undefined;
    if (config.unsafeStringAllowed) expect(unix).toEqual({ ok: true });
    else expect(unix).toMatchObject({ ok: false, error: expect.stringMatching(/lwt_bytes\.ml.*forces safe strings/s) });
  });
});
