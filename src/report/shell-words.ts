/**
 * A command line a user can paste into a POSIX shell: words made only of
 * characters no shell treats specially stay as they are, others are put in
 * single quotes. Written here because the usual library (shell-quote) also
 * escapes `:` and `,`, which turns `--lwt opam:5.6.1` into `opam\:5.6.1`.
 */
export function shellWords(words: string[]): string {
  return words.map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`)).join(' ');
}
