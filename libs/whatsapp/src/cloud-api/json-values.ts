/** A JSON object (not an array, not null), as the Graph API's answers and webhooks hold them. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text parsed as JSON; undefined when it is not JSON (an HTML error page, a cut answer). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
