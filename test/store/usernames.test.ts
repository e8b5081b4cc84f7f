import { describe, expect, it } from 'vitest';
import { normaliseUsername, usernameSkeleton } from '../../src/store/index.ts';

describe('usernames', () => {
  it('are NFKC-normalised and trimmed', async () => {
    expect(normaliseUsername('  dr.ada ')).toBe('dr.ada');
    expect(normaliseUsername('ａｄｍｉｎ')).toBe('admin');
    expect(normaliseUsername('Ｄr\u00a0Ada')).toBe('Dr Ada');
  });

  it.each([
    ['a zero-width space', 'admin\u200b'],
    ['a line break', 'x\ny'],
    ['a tab', 'x\ty'],
    ['a right-to-left override', 'ad\u202emin'],
    ['a byte-order mark', '\ufeffadmin'],
    ['a Hangul filler', 'admin\u3164'],
    ['a variation selector', 'admin\ufe0f'],
  ])('refuse %s', (_what, name) => {
    expect(() => normaliseUsername(name)).toThrow('username contains an invisible or control character');
  });

  it('refuse empty and over-long names', async () => {
    expect(() => normaliseUsername(' \u3000 ')).toThrow('must not be empty');
    expect(() => normaliseUsername('a'.repeat(65))).toThrow('longer than 64');
  });

  it.each([
    ['admin', 'Admin'],
    ['admin', 'ADMIN'],
    ['admin', '\u0430dmin'], // Cyrillic а
    ['admin', 'аdміn'], // Cyrillic а and і
    ['admin', 'ADMlN'],
    ['admin', 'αdmin'], // Greek alpha
    ['admin', 'ádmin'],
    ['mary', 'rnary'],
    ['olga', '0lga'],
    ['paul', 'раul'], // Cyrillic р and а
  ])('give %j and %j the same skeleton', (a, b) => {
    expect(usernameSkeleton(b)).toBe(usernameSkeleton(a));
  });

  it.each([
    ['admin', 'admins'],
    ['ana', 'anna'],
    ['dr.ada', 'drada'],
  ])('tell %j and %j apart', (a, b) => {
    expect(usernameSkeleton(b)).not.toBe(usernameSkeleton(a));
  });
});
