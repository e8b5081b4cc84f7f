import { describe, expect, it } from 'vitest';
import { checkPassword } from '../../src/store/password-policy.ts';

describe('the password policy', () => {
  it.each(['password', '12345678', 'short-pass1'])('refuses %j: fewer than 12 characters', (password) => {
    expect(() => checkPassword(password)).toThrow('password must have at least 12 characters');
  });

  it.each([
    'administrator',
    'qwertyuiopasdfghjkl',
    '123456789012',
    'abcdefghijklm',
    'Password1234',
    'password-123!',
    '2024!Welcome!',
    'P@ssw0rd2024',
    'L3tm3in!!!!!!',
    'passwordpassword',
    'abcabcabcabc',
    'aaaaaaaaaaaa',
    '1111111111111',
    'Microbiology1',
    'iloveyou2025',
  ])('refuses the common or simple %j', (password) => {
    expect(() => checkPassword(password)).toThrow(/too common or too simple/);
  });

  it.each(['correct horse battery', 'Zq8#mK2$pL9!', 'gram-violet on a tuesday', 'a new password', '739182046153', 'ĉiuj ŝlosiloj estas'])('accepts %j', (password) => {
    expect(checkPassword(password)).toBe(password);
  });

  it('refuses more than 72 bytes (bcrypt would ignore the rest)', async () => {
    expect(() => checkPassword('é'.repeat(37) + 'x')).toThrow('at most 72 bytes');
  });
});
