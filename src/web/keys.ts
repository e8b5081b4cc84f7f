/** The annotator's keyboard: one key per class, plus fixed keys for unclear, skip and undo. */

export const UNCLEAR_KEY = 'u';
export const SKIP_KEY = 's';
export const UNDO_KEYS: readonly string[] = ['z', 'Backspace'];

const RESERVED = new Set([UNCLEAR_KEY, SKIP_KEY, 'z']);
const CLASS_KEYS = [...'123456789', ...'abcdefghijklmnopqrstuvwxyz'].filter((key) => !RESERVED.has(key));

/** class → key, in class order: 1..9, then letters (u, s and z are taken). Classes beyond the keys get none. */
export function classKeys(classes: readonly string[]): Map<string, string> {
  return new Map(classes.slice(0, CLASS_KEYS.length).map((name, i) => [name, CLASS_KEYS[i]]));
}

/** What a keydown means, or null; keys typed into form controls or with modifiers never count. */
export function keyAction(event: KeyboardEvent, keyOfClass: ReadonlyMap<string, string>): { kind: 'label'; label: string } | { kind: 'undo' } | null {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return null;
  const target = event.target as HTMLElement | null;
  if (target && (target.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName))) return null;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  if (UNDO_KEYS.includes(key)) return { kind: 'undo' };
  if (key === UNCLEAR_KEY) return { kind: 'label', label: 'unclear' };
  if (key === SKIP_KEY) return { kind: 'label', label: 'skip' };
  for (const [label, classKey] of keyOfClass) if (classKey === key) return { kind: 'label', label };
  return null;
}
