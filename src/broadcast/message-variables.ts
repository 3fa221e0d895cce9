/**
 * Per-recipient {{variables}} in a message's text and template parameters. `{{name}}` takes
 * the recipient's value; `{{name|friend}}` falls back to `friend` when the recipient has none
 * (an empty value counts as none). Names are letters, digits and underscores, starting with
 * a letter or underscore, or `contact.` and a contact's field or attribute (filled in broadcasts
 * to an audience); anything else between braces is left as written.
 */

/**
 * A variable's name, as a CSV header or a `variables` key must spell it: not one of the names
 * every object inherits a meaning for (`__proto__`, `constructor`, `prototype`), which a lookup
 * or an assignment would take for something else.
 */
export const VARIABLE_NAME_PATTERN = /^(?!(?:__proto__|constructor|prototype)$)[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** How a problem names the rule of VARIABLE_NAME_PATTERN. */
export const VARIABLE_NAME_RULE = 'letters, digits and _, not starting with a digit, and not __proto__, constructor or prototype';
/** Longest value of one variable. */
export const MAX_VARIABLE_VALUE_LENGTH = 1024;
/** Most variables one recipient may carry. */
export const MAX_VARIABLES_PER_RECIPIENT = 50;

// `contact.<field>` names a contact's field or attribute (broadcasts to an audience fill them).
const PLACEHOLDER = /\{\{\s*(contact\.[a-z][a-z0-9_]{0,39}|[A-Za-z_][A-Za-z0-9_]{0,63})\s*(?:\|([^{}]*))?\}\}/g;

export type RecipientVariables = Record<string, string>;

/** The recipient's own value of a variable: never one every object inherits (`{{toString}}` is not a function's text). */
export function valueOf(variables: RecipientVariables | undefined, name: string): string | undefined {
  return variables !== undefined && Object.hasOwn(variables, name) ? variables[name] : undefined;
}

export interface Placeholder {
  name: string;
  /** The fallback after `|`, or undefined when the placeholder has none. */
  fallback?: string;
}

/** The placeholders of a text, in order of appearance (repeats included). */
export function placeholdersIn(text: string): Placeholder[] {
  return [...text.matchAll(PLACEHOLDER)].map(([, name, fallback]) => (fallback === undefined ? { name } : { name, fallback }));
}

/** Fills every placeholder; a value missing without a fallback becomes empty (callers check `missingVariables` first). */
export function renderVariables(text: string, variables: RecipientVariables | undefined): string {
  return text.replace(PLACEHOLDER, (_whole, name: string, fallback: string | undefined) => {
    const value = valueOf(variables, name);
    return value !== undefined && value !== '' ? value : (fallback ?? '');
  });
}

/** The strings of a template's components (every string value, at any depth), where placeholders may stand. */
function templateStrings(components: unknown[] | undefined): string[] {
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (typeof node === 'string') found.push(node);
    else if (Array.isArray(node)) node.forEach(visit);
    else if (node !== null && typeof node === 'object') Object.values(node).forEach(visit);
  };
  visit(components);
  return found;
}

/** A template's components with every string rendered for one recipient. */
export function renderTemplateComponents(components: unknown[], variables: RecipientVariables | undefined): unknown[] {
  const render = (node: unknown): unknown => {
    if (typeof node === 'string') return renderVariables(node, variables);
    if (Array.isArray(node)) return node.map(render);
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, render(value)]));
    }
    return node;
  };
  return components.map(render);
}

/** What of a message may hold placeholders. */
export interface PersonalisableContent {
  text: string | null;
  template?: { components?: unknown[] } | null;
}

/** Every placeholder of the message's text and template parameters. */
export function placeholdersOf(content: PersonalisableContent): Placeholder[] {
  return [content.text ?? '', ...templateStrings(content.template?.components)].flatMap(placeholdersIn);
}

/** Whether the message has placeholders at all (else it is the same for every recipient). */
export function isPersonalised(content: PersonalisableContent): boolean {
  return placeholdersOf(content).length > 0;
}

/** Names of the variables the message needs a value for: used without a fallback. */
export function requiredVariableNames(content: PersonalisableContent): string[] {
  return [...new Set(placeholdersOf(content).filter(({ fallback }) => fallback === undefined).map(({ name }) => name))];
}

/** Names of every variable the message uses (with or without a fallback): the only ones worth keeping per recipient. */
export function usedVariableNames(content: PersonalisableContent): string[] {
  return [...new Set(placeholdersOf(content).map(({ name }) => name))];
}

/** The required names this recipient has no (non-empty) value for. */
export function missingVariables(required: readonly string[], variables: RecipientVariables | undefined): string[] {
  return required.filter((name) => !valueOf(variables, name));
}

/** Only the variables the message uses; undefined when none is left. */
export function keepUsedVariables(variables: RecipientVariables | undefined, used: readonly string[]): RecipientVariables | undefined {
  if (!variables) return undefined;
  // The common case (a CSV whose columns the message all uses): the same object, no copy per recipient.
  const names = Object.keys(variables);
  if (names.length > 0 && names.every((name) => variables[name] !== '' && used.includes(name))) return variables;
  const kept = Object.fromEntries(used.flatMap((name) => (valueOf(variables, name) ? [[name, variables[name]]] : [])));
  return Object.keys(kept).length > 0 ? kept : undefined;
}
