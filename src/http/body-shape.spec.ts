import { findBodyShapeProblem } from './body-shape';

const limits = { maxDepth: 4, maxKeysPerObject: 3, maxTotalKeys: 5 };

describe('findBodyShapeProblem', () => {
  it('accepts bodies within every limit, and long arrays whose elements are not keys', () => {
    expect(findBodyShapeProblem({ a: 1, b: { c: [1, 2, { d: 'x' }] } }, 'Request body', limits)).toBeNull();
    expect(findBodyShapeProblem({ to: Array.from({ length: 10_000 }, String) }, 'Request body', limits)).toBeNull();
    expect(findBodyShapeProblem(undefined, 'Request body', limits)).toBeNull();
  });

  it('refuses text holding half of a surrogate pair or a NUL character, in a value or a key, and names where; whole pairs pass', () => {
    expect(findBodyShapeProblem({ name: 'X', contact: { email: '\ud800' } }, 'Request body', limits)).toEqual({
      kind: 'invalid-text',
      message: 'Request body holds text that is not valid Unicode (half of a surrogate pair) at contact.email',
    });
    expect(findBodyShapeProblem({ name: 'Ada\u0000Obi' }, 'Request body', limits)?.message).toBe('Request body holds a NUL character (\\u0000) at name');
    expect(findBodyShapeProblem({ to: ['a\udc00b'] }, 'Request body', limits)?.message).toMatch(/at to\[0\]$/);
    expect(findBodyShapeProblem({ ['k\ud83d']: 1 }, 'Query string', limits)?.kind).toBe('invalid-text');
    expect(findBodyShapeProblem({ text: 'ok \ud83d\ude00 emoji' }, 'Request body', limits)).toBeNull();
  });

  it('names the object with too many keys and where it stands', () => {
    expect(findBodyShapeProblem({ query: { a: 1, b: 2, c: 3, d: 4 } }, 'Request body', limits)).toEqual({
      kind: 'too-many-keys',
      message: 'Request body has an object with 4 keys at query; at most 3 are allowed',
    });
  });

  it('counts keys across objects', () => {
    expect(findBodyShapeProblem({ a: { x: 1, y: 2 }, b: { x: 1, y: 2 } }, 'Request body', limits)).toEqual({
      kind: 'too-many-keys',
      message: 'Request body has more than 5 keys in all',
    });
  });

  it('refuses depth past the limit, even when it is hostile', () => {
    let deep: unknown = 1;
    for (let level = 0; level < 100_000; level++) deep = [deep];
    expect(findBodyShapeProblem({ a: { b: { c: [1] } } }, 'Request body', limits)).toBeNull();
    expect(findBodyShapeProblem({ a: { b: { c: [[1]] } } }, 'Request body', limits)?.kind).toBe('too-deep');
    expect(findBodyShapeProblem(deep, 'Request body', limits)).toEqual({
      kind: 'too-deep',
      message: 'Request body nests objects or arrays more than 4 levels deep',
    });
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the key %s at any depth, naming it', (key) => {
    const body = JSON.parse(`{"contact":{"tags":[{"${key}":{"polluted":true}}]}}`) as unknown;
    expect(findBodyShapeProblem(body, 'Request body', limits)).toEqual({
      kind: 'prototype-key',
      message: `Request body key "${key}" (at contact.tags[0].${key}) is not allowed`,
    });
  });

  it('checks a null-prototype query string object as well', () => {
    const query = Object.create(null) as object; // as Node's querystring builds it
    Object.defineProperty(query, '__proto__', { value: 'x', enumerable: true });
    expect(findBodyShapeProblem(query, 'Query string', limits)?.message).toBe('Query string key "__proto__" (at __proto__) is not allowed');
  });
});
