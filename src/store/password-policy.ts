import { readFileSync } from 'node:fs';
import { invalid } from './errors.ts';

export const MIN_PASSWORD_LENGTH = 12;
/** bcrypt silently ignores bytes past 72; refusing longer passwords keeps that from surprising anyone. */
export const MAX_PASSWORD_BYTES = 72;

const COMMON_PASSWORDS_FILE = new URL('./common-passwords.txt', import.meta.url);

/** Runs of keys and digits: a password that is a piece of one of these is refused. */
const SEQUENCES = ['01234567890123456789', '98765432109876543210', 'abcdefghijklmnopqrstuvwxyz', 'zyxwvutsrqponmlkjihgfedcba', 'qwertyuiopasdfghjklzxcvbnm', 'mnbvcxzlkjhgfdsapoiuytrewq'];

/** Digits and symbols typed for letters: p@ssw0rd is password. 1 may stand for i or l. */
const LOOK_ALIKES: Record<string, string> = { '@': 'a', '4': 'a', '3': 'e', '0': 'o', $: 's', '5': 's', '7': 't', '!': 'i' };

const NOT_LETTERS_AROUND = /^[^\p{L}]+|[^\p{L}]+$/gu;

let common: Set<string> | null = null;

function commonPasswords(): Set<string> {
  common ??= new Set(
    readFileSync(COMMON_PASSWORDS_FILE, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
  return common;
}

/** The spellings a common password may hide behind: as typed, without the digits and symbols around it, with look-alikes undone. */
function candidates(password: string): string[] {
  const lower = password.normalize('NFKC').toLowerCase();
  const core = lower.replace(NOT_LETTERS_AROUND, '');
  const forms = new Set([lower, core]);
  for (const form of [lower, core]) {
    const letters = [...form].map((c) => LOOK_ALIKES[c] ?? c).join('');
    forms.add(letters.replace(NOT_LETTERS_AROUND, ''));
    for (const one of ['i', 'l']) forms.add(letters.replaceAll('1', one).replace(NOT_LETTERS_AROUND, ''));
  }
  // "passwordpassword", "abcabcabcabc": a repeated unit is as weak as the unit
  for (const form of [...forms]) {
    const unit = /^(.+?)\1+$/u.exec(form)?.[1];
    if (unit) forms.add(unit);
  }
  forms.delete('');
  return [...forms];
}

function isWeak(password: string): boolean {
  const list = commonPasswords();
  const lower = password.toLowerCase();
  if (SEQUENCES.some((sequence) => sequence.includes(lower))) return true;
  return candidates(password).some((form) => list.has(form) || [...form].length <= 3);
}

/**
 * A new password: at least 12 characters, at most 72 bytes, and not a common password (the list
 * shipped in common-passwords.txt, read offline), nor one with digits or symbols around it,
 * look-alike digits for letters, a repetition or a run of keys.
 */
export function checkPassword(password: string): string {
  if (typeof password !== 'string' || [...password].length < MIN_PASSWORD_LENGTH) throw invalid(`password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) throw invalid(`password must be at most ${MAX_PASSWORD_BYTES} bytes`);
  if (isWeak(password)) throw invalid('this password is too common or too simple (a well-known password, a run of keys or a repetition); choose another');
  return password;
}
