/**
 * The reasons several things share, said once: probes of one tree, or
 * commits of a bisect, untestable for one cause carry the same reason but
 * for the name of their own Lwt (`Lwt 2.3.0 (git 9e2419eabd) does not
 * build: …`), which is left out of the comparison and of the text.
 */
export interface ReasonGroup {
  reason: string;
  labels: string[];
}

/** The reason without the name of the Lwt it was said of, nor commit hashes. */
export function sharedReason(reason: string, label: string): string {
  return reason
    .split(`Lwt ${label}`)
    .join('this Lwt')
    .split(label)
    .join('this Lwt')
    .replace(/\bLwt [0-9][^\s:]* \((?:git|dir|opam)?[^)]*\)/g, 'this Lwt')
    .replace(/\b[0-9a-f]{10,40}\b/g, '…');
}

/** The items grouped by shared reason, in the order each reason first appears. */
export function groupReasons(items: { label: string; reason: string }[]): ReasonGroup[] {
  const groups = new Map<string, ReasonGroup>();
  for (const { label, reason } of items) {
    const shared = sharedReason(reason, label);
    const group = groups.get(shared) ?? { reason: shared, labels: [] };
    group.labels.push(label);
    groups.set(shared, group);
  }
  return [...groups.values()];
}

/** A line cut to `width` characters, with an ellipsis where it was cut (the full text is in --json). */
export function fitLine(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}
