/** Every character that has a meaning in a JavaScript or PCRE (MongoDB) regular expression. */
const REGEX_METACHARACTERS = /[\\^$.*+?()[\]{}|/-]/g;

/** `text` with every regex metacharacter escaped, so that it matches itself and nothing else. */
export function escapeRegExp(text: string): string {
  return text.replace(REGEX_METACHARACTERS, '\\$&');
}

/**
 * A case-insensitive "contains" pattern for user-typed search text. The text is matched
 * literally: `a.*(` finds names containing those four characters, it never errors and,
 * having no quantifiers or groups, it cannot backtrack catastrophically.
 */
export function containsLiteral(text: string): RegExp {
  return new RegExp(escapeRegExp(text), 'i');
}
