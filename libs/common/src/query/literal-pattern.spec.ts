import { containsLiteral, escapeRegExp } from './literal-pattern';

describe('escapeRegExp', () => {
  it('escapes every metacharacter so the result matches the text itself', () => {
    const nasty = String.raw`a.*(b)+?[c]{2}|^$\d/-`;
    const pattern = new RegExp(`^${escapeRegExp(nasty)}$`);
    expect(pattern.test(nasty)).toBe(true);
    expect(pattern.test('aXXb')).toBe(false);
  });

  it('leaves plain text alone', () => {
    expect(escapeRegExp('John Doe 234')).toBe('John Doe 234');
  });

  it('turns an unbalanced group into a valid pattern', () => {
    expect(() => new RegExp(escapeRegExp('a.*('))).not.toThrow();
  });
});

describe('containsLiteral', () => {
  it('matches the text anywhere, ignoring case', () => {
    expect(containsLiteral('doe').test('John DOE')).toBe(true);
    expect(containsLiteral('jane').test('John Doe')).toBe(false);
  });

  it('treats metacharacters literally', () => {
    expect(containsLiteral('a.*(').test('xa.*(y')).toBe(true);
    expect(containsLiteral('a.*(').test('abc(')).toBe(false);
    expect(containsLiteral('.').test('abc')).toBe(false);
  });

  it('turns a pattern that would backtrack into plain text', () => {
    expect(containsLiteral('(a+)+$').test('aaaa')).toBe(false);
    expect(containsLiteral('(a+)+$').test('x(a+)+$')).toBe(true);
  });
});
