import { describe, expect, it } from 'vitest';
import { opamError } from '../src/lwt/opam.js';

describe("opam's reason for a failure", () => {
  it('joins "Fatal error:" with the reason opam prints on the next line', () => {
    // What `opam source` prints when rsync is missing (seen on a fresh machine without it).
    expect(opamError('Fatal error:\n"rsync": command not found.\n')).toBe('Fatal error: "rsync": command not found.');
  });

  it('takes the [ERROR] line, without its tag, and ignores the root warning', () => {
    const text = '[WARNING] Running as root is not recommended\n[ERROR] No package matching lwt.9.9.9 found.\n';
    expect(opamError(text)).toBe('No package matching lwt.9.9.9 found.');
  });

  it('an error line that is complete stays one line', () => {
    expect(opamError('[ERROR] Opam has not been initialised, please run `opam init`\nsomething else')).toBe(
      'Opam has not been initialised, please run `opam init`',
    );
  });
});
