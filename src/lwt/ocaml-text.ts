/**
 * OCaml source with its comments, the contents of its string and character
 * literals, and its preprocessor lines (cppo's line markers `# 12 "f.ml"`,
 * cppo's and pa_optcomp's `#if`/`#endif`) replaced by spaces (newlines
 * kept), so that the result has the same length and line structure as the
 * source: a regular expression run over it finds only code, and the offsets
 * it reports are valid in the source. Comments nest and may hold string
 * literals (OCaml lexes both); a quote that does not start a character
 * literal is a type variable or a primed name.
 */
export function codeOnly(source: string): string {
  const out = source.split('');
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  let i = 0;
  let depth = 0;
  let commentStart = 0;
  while (i < source.length) {
    if (source.startsWith('(*', i)) {
      if (depth === 0) commentStart = i;
      depth++;
      i += 2;
    } else if (depth > 0 && source.startsWith('*)', i)) {
      depth--;
      i += 2;
      if (depth === 0) blank(commentStart, i);
    } else if (source[i] === '"') {
      const end = stringEnd(source, i);
      if (depth === 0) blank(i + 1, end - 1);
      i = end;
    } else if (source[i] === "'") {
      const literal = /^'(?:\\(?:[\\'"ntbr ]|[0-9]{3}|x[0-9a-fA-F]{2}|o[0-3][0-7]{2})|[^\\'\n])'/.exec(
        source.slice(i, i + 8),
      );
      const length = literal ? literal[0].length : 1;
      if (literal && depth === 0) blank(i + 1, i + length - 1);
      i += length;
    } else if (source[i] === '{' && depth === 0) {
      const quoted = /^\{([a-z_]*)\|/.exec(source.slice(i, i + 64));
      const close = quoted ? source.indexOf(`|${quoted[1]}}`, i + quoted[0].length) : -1;
      if (quoted && close >= 0) {
        blank(i + quoted[0].length, close);
        i = close + quoted[1]!.length + 2;
      } else i++;
    } else i++;
  }
  if (depth > 0) blank(commentStart, source.length);
  return out.join('').replace(/^[ \t]*#.*$/gm, (line) => ' '.repeat(line.length));
}

/** The offset just past the string literal that opens at `start`, escapes included (or the end of the text). */
function stringEnd(source: string, start: number): number {
  let i = start + 1;
  while (i < source.length && source[i] !== '"') i += source[i] === '\\' ? 2 : 1;
  return Math.min(i + 1, source.length);
}

/**
 * Whether `pattern` matches in code, not in comments or literals: tried on
 * the raw text first, which a match in code implies (codeOnly only blanks),
 * so that most files are never lexed.
 */
export function inCode(pattern: RegExp, source: string): boolean {
  return pattern.test(source) && pattern.test(codeOnly(source));
}
