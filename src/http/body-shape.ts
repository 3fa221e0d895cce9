/**
 * Limits on the shape of a parsed body or query string, checked in one linear walk before
 * any per-key work (validation, transformation, query parsing), so that no request can make
 * that work grow faster than its size.
 */
export interface BodyShapeLimits {
  /** Objects and arrays nested deeper than this are refused. */
  maxDepth: number;
  /** No object may have more keys than this. */
  maxKeysPerObject: number;
  /** Keys of all objects together; array elements do not count. */
  maxTotalKeys: number;
}

/**
 * Deeper than any body this API takes (a template's components go about six levels down),
 * and far below the depth at which class-transformer's recursion overflows the stack.
 */
export const MAX_BODY_DEPTH = 32;
/** Twice the widest object the API defines (the WhatsApp log's ~40 fields in `select`). */
export const MAX_KEYS_PER_OBJECT = 100;
/** Far more than any body the API takes needs: a recipient list is an array, whose elements are not keys. */
export const MAX_TOTAL_KEYS = 5_000;

export const DEFAULT_BODY_SHAPE_LIMITS: BodyShapeLimits = {
  maxDepth: MAX_BODY_DEPTH,
  maxKeysPerObject: MAX_KEYS_PER_OBJECT,
  maxTotalKeys: MAX_TOTAL_KEYS,
};

/** Keys that reach Object.prototype when a parser or a library assigns them. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export const isPrototypeKey = (key: string): boolean => PROTOTYPE_KEYS.has(key);

export type BodyShapeProblem =
  | { kind: 'too-deep'; message: string }
  | { kind: 'too-many-keys'; message: string }
  | { kind: 'prototype-key'; message: string }
  | { kind: 'invalid-text'; message: string };

/**
 * Text no field of this API takes: half of a UTF-16 surrogate pair (`"\ud800"` in JSON: no
 * character at all, and some validators throw on it), or a NUL character (which WhatsApp and
 * CSV exports would carry on, or cut at).
 */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isInvalidText = (text: string): boolean => text.includes('\u0000') || UNPAIRED_SURROGATE.test(text);

function invalidTextAt(where: string, path: string, text: string): BodyShapeProblem {
  const what = text.includes('\u0000') ? 'a NUL character (\\u0000)' : 'text that is not valid Unicode (half of a surrogate pair)';
  return { kind: 'invalid-text', message: `${where} holds ${what}${path ? ` at ${path}` : ''}` };
}

/** Where a key stands, as a reader would write it (`message.location.lat`, `to[3]`); long paths are cut. */
function pathOf(parent: string, key: string | number): string {
  const path = typeof key === 'number' ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}

/**
 * The first way `value` breaks the limits (or holds text that is not valid Unicode), or null. Walks iteratively (hostile depth cannot
 * overflow the stack) and stops at the first problem, so its cost is bounded by the input's size.
 */
export function findBodyShapeProblem(
  value: unknown,
  where: string,
  limits: BodyShapeLimits = DEFAULT_BODY_SHAPE_LIMITS,
  { checkText = true }: { checkText?: boolean } = {},
): BodyShapeProblem | null {
  let totalKeys = 0;
  const pending: Array<{ node: unknown; depth: number; path: string }> = [{ node: value, depth: 0, path: '' }];
  while (pending.length > 0) {
    const { node, depth, path } = pending.pop()!;
    if (checkText && typeof node === 'string' && isInvalidText(node)) return invalidTextAt(where, path, node);
    if (typeof node !== 'object' || node === null) continue;
    if (depth + 1 > limits.maxDepth) {
      return { kind: 'too-deep', message: `${where} nests objects or arrays more than ${limits.maxDepth} levels deep` };
    }
    if (Array.isArray(node)) {
      node.forEach((item, index) => pending.push({ node: item, depth: depth + 1, path: pathOf(path, index) }));
      continue;
    }
    const keys = Object.keys(node);
    if (keys.length > limits.maxKeysPerObject) {
      return {
        kind: 'too-many-keys',
        message: `${where} has an object with ${keys.length} keys${path ? ` at ${path}` : ''}; at most ${limits.maxKeysPerObject} are allowed`,
      };
    }
    totalKeys += keys.length;
    if (totalKeys > limits.maxTotalKeys) {
      return { kind: 'too-many-keys', message: `${where} has more than ${limits.maxTotalKeys} keys in all` };
    }
    for (const key of keys) {
      if (isPrototypeKey(key)) {
        return { kind: 'prototype-key', message: `${where} key "${key}" (at ${pathOf(path, key)}) is not allowed` };
      }
      if (checkText && isInvalidText(key)) return invalidTextAt(where, pathOf(path, key), key);
      pending.push({ node: (node as Record<string, unknown>)[key], depth: depth + 1, path: pathOf(path, key) });
    }
  }
  return null;
}
