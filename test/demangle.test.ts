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
