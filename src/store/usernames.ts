import { invalid } from './errors.ts';

export const MAX_USERNAME_LENGTH = 64;

/**
 * Characters that show nothing, or move or join what is around them: controls, format characters
 * (zero-width spaces and joiners, bidirectional marks, the byte-order mark), line and paragraph
 * separators, private-use and unassigned code points, and the fillers and blanks that render empty.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\uffa0\ufe00-\ufe0f\u{e0100}-\u{e01ef}]/u;

/** Latin look-alikes of Cyrillic and Greek letters (lowercase; uppercase ones are lowercased first). */
const LOOK_ALIKES: Record<string, string> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', з: '3', к: 'k', м: 'm', н: 'h', о: 'o', п: 'n', р: 'p', с: 'c', т: 't', у: 'y', х: 'x', ь: 'b',
  і: 'i', ї: 'i', ј: 'j', ѕ: 's', ԁ: 'd', һ: 'h', ԛ: 'q', ԝ: 'w', ү: 'y', ӏ: 'l', ɡ: 'g', ı: 'i', ł: 'l', ø: 'o', đ: 'd', ħ: 'h',
  α: 'a', β: 'b', γ: 'y', ε: 'e', ζ: 'z', η: 'n', ι: 'i', κ: 'k', μ: 'u', ν: 'v', ο: 'o', ρ: 'p', σ: 'o', ς: 'c', τ: 't', υ: 'u', χ: 'x', ω: 'w',
};

/**
 * A username as stored and looked up: NFKC (fullwidth and compatibility forms become their plain
 * letters), without spaces around it. Refuses empty names, names over MAX_USERNAME_LENGTH and names
 * with invisible or control characters (a zero-width space, a line break).
 */
export function normaliseUsername(raw: string): string {
  if (typeof raw !== 'string') throw invalid('username must be a string');
  const normalised = raw.normalize('NFKC');
  // Before trimming, which would quietly drop a byte-order mark.
  if (INVISIBLE.test(normalised)) throw invalid('username contains an invisible or control character');
  const name = normalised.trim();
  if (name === '') throw invalid('username must not be empty');
  if ([...name].length > MAX_USERNAME_LENGTH) throw invalid(`username is longer than ${MAX_USERNAME_LENGTH} characters`);
  return name;
}

/** Case-folded: two usernames with the same fold are the same user. */
export function usernameFold(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}

/**
 * What a username looks like, for refusing a new name that could pass for an existing one
 * ("аdmin" with a Cyrillic а, "ADMlN", "rnary" for "mary"): folded, accents dropped, Cyrillic and
 * Greek look-alikes and the ambiguous 0/o, 1/l/i/| and rn/m, vv/w made one.
 */
export function usernameSkeleton(name: string): string {
  const letters = [...usernameFold(name).normalize('NFD').replace(/\p{Mn}/gu, '')].map((c) => LOOK_ALIKES[c] ?? c).join('');
  return letters.replace(/[1i|!]/g, 'l').replace(/0/g, 'o').replace(/rn/g, 'm').replace(/vv/g, 'w');
}
