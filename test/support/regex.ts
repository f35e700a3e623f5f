/**
 * One regular expression from several, in order, so that a long expected
 * message can be written over several lines and still be matched as a whole.
 */
export function joined(...parts: RegExp[]): RegExp {
  return new RegExp(parts.map((p) => p.source).join(''), parts[0]?.flags);
}
