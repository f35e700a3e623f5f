import type { View } from './view.js';

export interface Note {
  name: string;
  type: number;
  desc: View;
}

const align4 = (n: number) => (n + 3) & ~3;

/** Splits a note segment or section into its notes. */
export function parseNotes(view: View): Note[] {
  const notes: Note[] = [];
  let at = 0;
  while (at + 12 <= view.length) {
    const namesz = view.u32(at);
    const descsz = view.u32(at + 4);
    const type = view.u32(at + 8);
    const nameAt = at + 12;
    const descAt = nameAt + align4(namesz);
    const name = view.sub(nameAt, namesz).cstring(0);
    const desc = view.sub(descAt, descsz);
    notes.push({ name, type, desc });
    at = descAt + align4(descsz);
  }
  return notes;
}

export const NT_GNU_BUILD_ID = 3;

export function buildIdOf(notes: Note[]): string | undefined {
  const note = notes.find((n) => n.name === 'GNU' && n.type === NT_GNU_BUILD_ID);
  return note ? Buffer.from(note.desc.bytes).toString('hex') : undefined;
}
