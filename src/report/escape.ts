/** Text for HTML and XML bodies and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Plain text in Markdown (GitHub's): names and reasons come from cases and
 * compilers, so every character Markdown or a table gives a meaning to is
 * escaped, `<` as an entity so that no HTML tag can open, and a newline,
 * which would end a table row, becomes a space.
 */
export function mdText(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .replace(/[\\`*_[\]|#~!]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * A code span holding any text: its fence is one backtick longer than the
 * longest run inside (CommonMark 6.1), padded when the text starts or ends
 * with a backtick; `|` is escaped because GitHub splits table cells on it
 * even inside code.
 */
export function mdCode(text: string): string {
  const body = text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = body.startsWith('`') || body.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}
