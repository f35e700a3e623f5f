import { describe, expect, it } from 'vitest';
import { demangle } from '../src/ocaml/demangle.js';

describe('demangle', () => {
  it.each([
    ['camlLwt__run_waiters_rec_207', 'Lwt.run_waiters_rec'],
    ['camlLwt__run_waiters_231', 'Lwt.run_waiters'],
    ['camlLwt__fun_1326', 'Lwt.<fun>'],
    ['camlLwt_mutex__fun_112', 'Lwt_mutex.<fun>'],
    ['camlStdlib__List__iter_123', 'Stdlib.List.iter'],
    ['camlLwt__$3e$3e$3d_1553', 'Lwt.>>='],
    ['camlStdlib__$40_123', 'Stdlib.@'],
    ['camlNull$2dwrite__crash_81', 'Null-write.crash'],
    ['camlCase__entry', 'Case.entry'],
    ['camlLwt.run_waiters_rec_207', 'Lwt.run_waiters_rec'],
    ['camlStdlib__List.iter_123', 'Stdlib.List.iter'],
    ['camlLwt$run_waiters_rec_207', 'Lwt.run_waiters_rec'],
    ['camlStdlib$List$iter_123', 'Stdlib.List.iter'],
    ['camlLwt$3e$3e$3d_1553', 'Lwt>>='],
    ['camlLwt.anon_fn$5blwt.ml$3a12$2c4$2d20$5d_99', 'Lwt.<fun:lwt.ml:12,4-20>'],
    ['camlFoo__x_1_2', 'Foo.x_1'],
    // `$Ca` looks like an escape (hex CA), but a capital after `$` starts a module in the `$` form.
    ['camlStdlib$Callback$register_12', 'Stdlib.Callback.register'],
    ['camlStdlib$Bytes$blit_string_34', 'Stdlib.Bytes.blit_string'],
  ])('%s demangles to %s', (symbol, name) => {
    expect(demangle(symbol).name).toBe(name);
    expect(demangle(symbol).ocaml).toBe(true);
  });

  it.each(['caml_start_program', 'caml_program', 'main', 'lwtr_reset_sigsegv', '__libc_start_main'])(
    'leaves the C symbol %s as it is',
    (symbol) => {
      expect(demangle(symbol)).toEqual({ name: symbol, module: '', ocaml: false });
    },
  );

  it('keeps the module path', () => {
    expect(demangle('camlStdlib__List__iter_123').module).toBe('Stdlib.List');
  });
});

describe('demangle, the rarer shapes', () => {
  it.each([
    // A module's own data block: no value part.
    ['camlLwt', { name: 'Lwt', module: 'Lwt', ocaml: true }],
    ['camlStdlib__List__', { name: 'Stdlib.List', module: 'Stdlib.List', ocaml: true }],
    ['camlStdlib__List.', { name: 'Stdlib.List', module: 'Stdlib.List', ocaml: true }],
    // An anonymous function: its place in the source, its stamp dropped.
    ['camlLwt.anon_fn$5blwt.ml$3a7$5d', { name: 'Lwt.<fun:lwt.ml:7>', module: 'Lwt', ocaml: true }],
    ['camlLwt__fun_12', { name: 'Lwt.<fun>', module: 'Lwt', ocaml: true }],
    // `fun_` followed by more than digits is a name of its own.
    ['camlLwt__fun_x_12', { name: 'Lwt.fun_x', module: 'Lwt', ocaml: true }],
    // A name that is all digits after an underscore keeps what is not the stamp.
    ['camlM__f_1_22', { name: 'M.f_1', module: 'M', ocaml: true }],
    ['camlM__f', { name: 'M.f', module: 'M', ocaml: true }],
    ['camlM__f__g_3', { name: 'M.f__g', module: 'M', ocaml: true }],
    ['camlM__N__f_3', { name: 'M.N.f', module: 'M.N', ocaml: true }],
    // The `$` form: a lower-case or `_` part after `$` is the value (unless it reads as an escape, as `$ba` would).
    ['camlFoo$run_3', { name: 'Foo.run', module: 'Foo', ocaml: true }],
    ['camlFoo$_run_3', { name: 'Foo._run', module: 'Foo', ocaml: true }],
    ['camlFoo$Bar$zap$3e_1', { name: 'Foo.Bar.zap>', module: 'Foo.Bar', ocaml: true }],
    // Lower case after `caml` is C.
    ['camlfoo', { name: 'camlfoo', module: '', ocaml: false }],
    ['caml', { name: 'caml', module: '', ocaml: false }],
    ['xcamlFoo__f_1', { name: 'xcamlFoo__f_1', module: '', ocaml: false }],
    // A name that only contains `anon_fn[...]` or `fun_NNN`, or goes on after them, is a name of its own.
    ['camlM.wrap_anon_fn$5bx$5d', { name: 'M.wrap_anon_fn[x]', module: 'M', ocaml: true }],
    ['camlM.anon_fn$5bx$5d_extra', { name: 'M.anon_fn[x]_extra', module: 'M', ocaml: true }],
    ['camlM__my_fun_12', { name: 'M.my_fun', module: 'M', ocaml: true }],
    ['camlM__fun_2d_7', { name: 'M.fun_2d', module: 'M', ocaml: true }],
    // A part after `__` that only contains a capital is a value, and the rest of the name with it.
    ['camlM__to_JSON__v_3', { name: 'M.to_JSON__v', module: 'M', ocaml: true }],
    // When every part is capitalised the last is the value: a functor such as Map.Make.
    ['camlStdlib__Map__Make_123', { name: 'Stdlib.Map.Make', module: 'Stdlib.Map', ocaml: true }],
    // A `$` before a single digit is neither an escape nor a separator: the module's own symbol.
    ['camlFoo$1x', { name: 'Foo$1x', module: 'Foo$1x', ocaml: true }],
  ])('%s', (symbol, expected) => {
    expect(demangle(symbol)).toEqual(expected);
  });

  it('a raw line break makes no OCaml symbol, and an escaped one cuts nothing off the name', () => {
    // The compiler writes a byte that no identifier holds as an escape: a raw line break is not its name.
    expect(demangle('camlFoo\nbar')).toEqual({ name: 'camlFoo\nbar', module: '', ocaml: false });
    // `$0a` is a line break; whether the stamp goes with it or not, the name keeps its start.
    expect(demangle('camlM__a$0a$0ab_1').name).toMatch(/^M\.a\n\nb(_1)?$/);
  });
});
