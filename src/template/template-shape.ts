import type { TemplateComponentDefinition } from '@app/whatsapp';

/** Longest header or footer text WhatsApp takes. */
const MAX_HEADER_FOOTER_TEXT = 60;
const POSITIONAL = /\{\{\s*(\d+)\s*\}\}/g;
const NAMED = /\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/g;
/** Anything between double braces, to find what is neither form. */
const ANY_PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const POSITIONAL_ONE = /^\{\{\s*\d+\s*\}\}$/;
const NAMED_ONE = /^\{\{\s*[a-z_][a-z0-9_]*\s*\}\}$/;

/**
 * What WhatsApp's review would refuse in a new template's components, each named: one BODY with
 * text (and at most one HEADER, FOOTER and BUTTONS), a header's format and text that go together,
 * a footer's short fixed text, buttons that say what they do, and parameters numbered 1, 2, 3...
 * without a gap (POSITIONAL) or named in lower case (NAMED). An AUTHENTICATION template's body
 * and footer are WhatsApp's own preset text (a BODY without text, an optional code-expiry FOOTER).
 * Empty when the shape is sound; the sandbox approves nothing it refuses, and a Business Account
 * is asked nothing it would refuse.
 */
export function newTemplateProblems(components: TemplateComponentDefinition[], parameterFormat: string | null | undefined, category: string): string[] {
  const problems: string[] = [];
  const preset = category === 'AUTHENTICATION';
  const named = parameterFormat === 'NAMED';
  const counts = new Map<string, number>();
  for (const component of components) counts.set(component.type, (counts.get(component.type) ?? 0) + 1);
  if ((counts.get('BODY') ?? 0) === 0) problems.push('components must hold a BODY');
  for (const [type, count] of counts) if (count > 1) problems.push(`components may hold one ${type}, not ${count}`);

  components.forEach((component, index) => {
    const where = `components[${index}] (${component.type})`;
    const text = component.text?.trim() ?? '';
    if (component.type === 'BODY') {
      if (text === '' && !preset) problems.push(`${where} needs its text`);
      problems.push(...parameterProblems(text, named, where));
    } else if (component.type === 'HEADER') {
      const format = component.format ?? (component.text !== undefined ? 'TEXT' : undefined);
      if (format === undefined) problems.push(`${where} needs a format (TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION)`);
      else if (format === 'TEXT') {
        if (text === '') problems.push(`${where} with format TEXT needs its text`);
        else if (text.length > MAX_HEADER_FOOTER_TEXT) problems.push(`${where} text must be at most ${MAX_HEADER_FOOTER_TEXT} characters`);
        problems.push(...parameterProblems(text, named, where));
      }
    } else if (component.type === 'FOOTER') {
      if (text === '' && !preset) problems.push(`${where} needs its text`);
      else if (text.length > MAX_HEADER_FOOTER_TEXT) problems.push(`${where} text must be at most ${MAX_HEADER_FOOTER_TEXT} characters`);
      if (/\{\{/.test(text)) problems.push(`${where} text is fixed: it takes no parameters`);
    } else if (component.type === 'BUTTONS') {
      const buttons = component.buttons ?? [];
      if (buttons.length === 0) problems.push(`${where} needs at least one button`);
      buttons.forEach((button, at) => problems.push(...buttonProblems(button, `${where}.buttons[${at}]`)));
    }
  });
  return problems;
}

function parameterProblems(text: string, named: boolean, where: string): string[] {
  const problems: string[] = [];
  const positional = [...text.matchAll(POSITIONAL)].map(([, number]) => Number(number));
  const names = [...text.matchAll(NAMED)].map(([, name]) => name);
  const malformed = [...text.matchAll(ANY_PLACEHOLDER)].map(([whole]) => whole).filter((whole) => !POSITIONAL_ONE.test(whole) && !NAMED_ONE.test(whole));
  if (malformed.length > 0) {
    problems.push(`${where} has ${malformed.join(', ')}: a parameter is {{1}}, {{2}}... (or {{name}} in lower case, with parameter_format NAMED)`);
  }
  if (named && positional.length > 0) problems.push(`${where} mixes {{${positional[0]}}} into NAMED parameters: name every parameter`);
  if (!named && names.length > 0) problems.push(`${where} has {{${names[0]}}}: named parameters need parameter_format NAMED`);
  if (!named && positional.length > 0) {
    const distinct = [...new Set(positional)].sort((a, b) => a - b);
    const expected = distinct.map((_number, at) => at + 1);
    if (distinct.some((number, at) => number !== expected[at])) {
      problems.push(`${where} numbers its parameters ${distinct.map((number) => `{{${number}}}`).join(', ')}: they must run {{1}}, {{2}}... without a gap`);
    }
  }
  return problems;
}

function buttonProblems(button: { type?: unknown; text?: unknown; url?: unknown; phone_number?: unknown }, where: string): string[] {
  const problems: string[] = [];
  if (typeof button.type !== 'string' || button.type === '') return [`${where} needs a type (QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, OTP or FLOW)`];
  const labelled = !['COPY_CODE', 'OTP'].includes(button.type);
  if (labelled && (typeof button.text !== 'string' || button.text.trim() === '')) problems.push(`${where} (${button.type}) needs its text`);
  if (button.type === 'URL' && (typeof button.url !== 'string' || !/^https?:\/\/[^\s/]+/.test(button.url))) {
    problems.push(`${where} (URL) needs a url starting with https:// or http://`);
  }
  if (button.type === 'PHONE_NUMBER' && (typeof button.phone_number !== 'string' || button.phone_number.trim() === '')) {
    problems.push(`${where} (PHONE_NUMBER) needs its phone_number`);
  }
  return problems;
}
