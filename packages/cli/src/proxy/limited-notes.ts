/**
 * Diagnostics of one kind said the first ten times, then once every
 * thousand with their count: hostile or broken traffic must not flood
 * stderr, and the count still says how much of it there was.
 */

const MAX_NOTES_PER_KIND = 10;

export type KindNote = (kind: string, message: string) => void;

export function limitedNotes(note: (message: string) => void): KindNote {
  const said = new Map<string, number>();
  return (kind, message) => {
    const n = (said.get(kind) ?? 0) + 1;
    said.set(kind, n);
    if (n <= MAX_NOTES_PER_KIND) note(message);
    else if (n % 1000 === 0) note(`${message} (${n} times so far)`);
  };
}
