/**
 * What a step that can fail softly gives (a build, a lookup, a fetch): its
 * fields, or the one line that says why not and, where there is one, the full
 * output behind it (a compiler's log). A soft failure is a value the caller
 * reports (untestable, a reason in a list of attempts); a hard one is thrown.
 */
export type Result<T extends object> = ({ ok: true } & T) | Failure;

export interface Failure {
  ok: false;
  error: string;
  log?: string;
}
