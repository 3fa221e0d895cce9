import type { TemplateButtonDefinition, TemplateComponentDefinition, TemplateDefinition } from './template-definition';
import { MEDIA_HEADER_TYPES } from './template-header-media';

/** WhatsApp's limits on a template send (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages#template-object). */
export const TEMPLATE_SEND_LIMITS = {
  /** A TEXT header once its parameter is filled in. */
  headerText: 60,
  /** The body once its parameters are filled in. */
  bodyText: 1024,
  /** A URL button's address once its suffix is appended. */
  buttonUrl: 2000,
  /** A copy-code button's code. */
  couponCode: 15,
} as const;

/** Any `{{...}}` of a template's text: `{{1}}` (positional) or `{{first_name}}` (named). */
const PARAMETER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;
/** WhatsApp refuses parameter texts with these (error 132018). */
const FORBIDDEN_IN_PARAMETER = /[\n\t]| {5,}/;

/** The ways a send gives a media header: our attachment (uploaded at send time), Meta's media id, or a public link. */
const MEDIA_SOURCES = ['attachment_id', 'id', 'link'] as const;

type SendComponent = Record<string, unknown>;

/**
 * The problems of sending `definition` with these `components` (the Cloud API's send shape, every
 * per-recipient variable already filled in): each names the template, the component and the
 * parameter, so that a 400 says what to fix. An empty list: WhatsApp accepts the send's shape.
 */
export function templateSendProblems(definition: TemplateDefinition, components: readonly unknown[] | undefined): string[] {
  const where = `template ${definition.name} (${definition.language})`;
  const problems: string[] = [];
  const given = (components ?? []).filter(isObject);
  const ofType = (type: string) => given.filter((component) => lowerText(component.type) === type);
  const defined = (type: string) => definition.components.find((component) => component.type.toUpperCase() === type);

  for (const component of given) {
    const type = lowerText(component.type);
    if (!['header', 'body', 'button'].includes(type)) problems.push(`${where}: component type "${String(component.type).slice(0, 40)}" is not header, body or button`);
  }
  if (ofType('header').length > 1 || ofType('body').length > 1) problems.push(`${where}: give at most one header and one body component`);

  checkHeader(where, defined('HEADER'), ofType('header')[0], problems);
  checkBody(where, definition, defined('BODY'), ofType('body')[0], problems);
  checkButtons(where, defined('BUTTONS')?.buttons ?? [], ofType('button'), problems);
  return problems;
}

function checkHeader(where: string, header: TemplateComponentDefinition | undefined, sent: SendComponent | undefined, problems: string[]): void {
  const parameters = parametersOf(sent);
  const format = header?.format?.toUpperCase() ?? 'TEXT';
  if (!header || (format === 'TEXT' && placeholders(header.text).length === 0)) {
    if (parameters.length > 0) problems.push(`${where}: the header takes no parameters, ${parameters.length} given`);
    return;
  }
  const [parameter] = parameters;
  if (format === 'TEXT') {
    const text = parameter?.type === 'text' && typeof parameter.text === 'string' ? parameter.text : undefined;
    if (!text) {
      problems.push(`${where}: header parameter {{${placeholders(header.text)[0]}}} is missing (a text parameter: { "type": "text", "text": "..." })`);
      return;
    }
    checkParameterText(`${where}: header parameter {{${placeholders(header.text)[0]}}}`, text, problems);
    const filled = fill(header.text ?? '', () => text);
    if (filled.length > TEMPLATE_SEND_LIMITS.headerText) problems.push(`${where}: the header is ${filled.length} characters once filled in; at most ${TEMPLATE_SEND_LIMITS.headerText}`);
    return;
  }
  if (format === 'LOCATION') {
    const location = isObject(parameter?.location) ? parameter.location : undefined;
    const latitude = Number(location?.latitude);
    const longitude = Number(location?.longitude);
    if (parameter?.type !== 'location' || !location) {
      problems.push(`${where}: the header is a LOCATION; give { "type": "location", "location": { "latitude", "longitude", "name", "address" } }`);
    } else if (!Number.isFinite(latitude) || Math.abs(latitude) > 90 || !Number.isFinite(longitude) || Math.abs(longitude) > 180) {
      problems.push(`${where}: header location needs a latitude (-90 to 90) and a longitude (-180 to 180)`);
    }
    return;
  }
  const mediaType = MEDIA_HEADER_TYPES[format];
  if (!mediaType) return;
  const media = isObject(parameter?.[mediaType]) ? parameter[mediaType] : undefined;
  if (parameter?.type !== mediaType || !media) {
    problems.push(
      `${where}: the header is ${article(format)} ${format}; give { "type": "${mediaType}", "${mediaType}": { "attachment_id": "<attachment id>" } }, or an "id" (Meta media id) or a "link"`,
    );
    return;
  }
  const given = MEDIA_SOURCES.filter((source) => media[source] !== undefined);
  if (given.length !== 1) {
    problems.push(`${where}: header ${mediaType} needs exactly one of "attachment_id" (an attachment of yours), "id" (uploaded media) or an http(s) "link"`);
  } else if (given[0] === 'link' ? !(typeof media.link === 'string' && /^https?:\/\/\S+$/.test(media.link)) : !(typeof media[given[0]] === 'string' && String(media[given[0]]).trim())) {
    problems.push(`${where}: header ${mediaType} "${given[0]}" must be ${given[0] === 'link' ? 'an http(s) URL' : 'a non-empty string'}`);
  }
}

function checkBody(
  where: string,
  definition: TemplateDefinition,
  body: TemplateComponentDefinition | undefined,
  sent: SendComponent | undefined,
  problems: string[],
): void {
  const expected = [...new Set(placeholders(body?.text))];
  const parameters = parametersOf(sent);
  const named = (definition.parameter_format ?? '').toUpperCase() === 'NAMED';
  const values = new Map<string, string>();
  if (named) {
    for (const parameter of parameters) {
      const name = typeof parameter.parameter_name === 'string' ? parameter.parameter_name : undefined;
      if (!name || !expected.includes(name)) {
        problems.push(`${where}: body parameter ${name ? `"${name.slice(0, 60)}"` : 'without parameter_name'} is not one of the template's: ${expected.map((one) => `{{${one}}}`).join(', ') || 'none'}`);
      } else {
        values.set(name, parameterText(parameter));
      }
    }
    for (const name of expected.filter((one) => !values.has(one))) problems.push(`${where}: body parameter {{${name}}} is missing`);
  } else {
    const count = expected.length;
    if (parameters.length > count) problems.push(`${where}: the body takes ${count} parameter(s), ${parameters.length} given`);
    for (let index = 0; index < count; index++) {
      const parameter = parameters[index];
      if (!parameter) {
        problems.push(`${where}: body parameter {{${index + 1}}} is missing (the body takes ${count}, ${parameters.length} given)`);
        continue;
      }
      values.set(String(index + 1), parameterText(parameter));
    }
  }
  for (const [name, text] of values) {
    if (!text) problems.push(`${where}: body parameter {{${name}}} is empty`);
    else checkParameterText(`${where}: body parameter {{${name}}}`, text, problems);
  }
  if (body?.text) {
    const filled = fill(body.text, (name) => values.get(name) ?? '');
    if (filled.length > TEMPLATE_SEND_LIMITS.bodyText) problems.push(`${where}: the body is ${filled.length} characters once filled in; at most ${TEMPLATE_SEND_LIMITS.bodyText}`);
  }
}

/** What each kind of button needs of a send: the sub_type and the parameter that carry its dynamic part. */
function buttonNeed(button: TemplateButtonDefinition): { subType: string; parameter: string; required: boolean } | null {
  switch (button.type.toUpperCase()) {
    case 'URL':
      return placeholders(button.url).length > 0 ? { subType: 'url', parameter: 'text', required: true } : null;
    case 'OTP':
      return { subType: 'url', parameter: 'text', required: true };
    case 'COPY_CODE':
      return { subType: 'copy_code', parameter: 'coupon_code', required: true };
    case 'QUICK_REPLY':
      return { subType: 'quick_reply', parameter: 'payload', required: false };
    case 'FLOW':
      return { subType: 'flow', parameter: 'action', required: false };
    default:
      return null;
  }
}

function checkButtons(where: string, buttons: TemplateButtonDefinition[], sent: SendComponent[], problems: string[]): void {
  const byIndex = new Map<number, SendComponent>();
  for (const component of sent) {
    const index = Number(component.index);
    const button = Number.isInteger(index) ? buttons[index] : undefined;
    const need = button ? buttonNeed(button) : null;
    if (!button || !need) {
      problems.push(`${where}: button index ${String(component.index).slice(0, 10)} has no dynamic part to give (the template's buttons: ${buttons.map((one, at) => `${at} ${one.type}`).join(', ') || 'none'})`);
      continue;
    }
    if (lowerText(component.sub_type) !== need.subType) problems.push(`${where}: button ${index} is ${button.type}; its sub_type must be "${need.subType}"`);
    byIndex.set(index, component);
  }
  buttons.forEach((button, index) => {
    const need = buttonNeed(button);
    if (!need) return;
    const [parameter] = parametersOf(byIndex.get(index));
    if (!parameter) {
      if (need.required) problems.push(`${where}: button ${index} (${button.type}) needs its ${describeButtonPart(need.parameter)}: { "type": "button", "sub_type": "${need.subType}", "index": "${index}", "parameters": [{ "type": "${need.parameter}", ... }] }`);
      return;
    }
    if (parameter.type !== need.parameter) {
      problems.push(`${where}: button ${index} (${button.type}) takes a "${need.parameter}" parameter, not "${String(parameter.type).slice(0, 40)}"`);
      return;
    }
    const value = parameter[need.parameter];
    if (need.parameter === 'text') {
      if (typeof value !== 'string' || !value) problems.push(`${where}: button ${index} URL suffix is empty`);
      else if (button.url && fill(button.url, () => value).length > TEMPLATE_SEND_LIMITS.buttonUrl) problems.push(`${where}: button ${index} URL is longer than ${TEMPLATE_SEND_LIMITS.buttonUrl} characters once filled in`);
    } else if (need.parameter === 'coupon_code') {
      if (typeof value !== 'string' || !value) problems.push(`${where}: button ${index} coupon_code is empty`);
      else if (value.length > TEMPLATE_SEND_LIMITS.couponCode) problems.push(`${where}: button ${index} coupon_code is ${value.length} characters; at most ${TEMPLATE_SEND_LIMITS.couponCode}`);
    } else if (need.parameter === 'payload' && (typeof value !== 'string' || !value)) {
      problems.push(`${where}: button ${index} payload is empty`);
    } else if (need.parameter === 'action' && !isObject(value)) {
      problems.push(`${where}: button ${index} action must be an object ({ "flow_token": "..." })`);
    }
  });
}

function describeButtonPart(parameter: string): string {
  return parameter === 'text' ? 'URL suffix' : parameter === 'coupon_code' ? 'coupon code' : parameter;
}

/** The names of a text's parameters, in order of appearance ("1", "2" or "first_name"). */
export function placeholders(text: string | undefined): string[] {
  return [...(text ?? '').matchAll(PARAMETER)].map(([, name]) => name);
}

function fill(text: string, value: (name: string) => string): string {
  return text.replace(PARAMETER, (_whole, name: string) => value(name));
}

/** A body parameter's text: `text`, or the fallback of a currency or date_time parameter. */
function parameterText(parameter: Record<string, unknown>): string {
  if (parameter.type === 'text' && typeof parameter.text === 'string') return parameter.text;
  const special = parameter.type === 'currency' || parameter.type === 'date_time' ? parameter[parameter.type] : undefined;
  return isObject(special) && typeof special.fallback_value === 'string' ? special.fallback_value : '';
}

function checkParameterText(what: string, text: string, problems: string[]): void {
  if (FORBIDDEN_IN_PARAMETER.test(text)) problems.push(`${what} must not hold new lines, tabs or more than 4 spaces in a row`);
}

function parametersOf(component: SendComponent | undefined): Array<Record<string, unknown>> {
  return Array.isArray(component?.parameters) ? (component.parameters as unknown[]).filter(isObject) : [];
}

/** A send's `type` or `sub_type`, compared case-insensitively (Meta accepts both); '' when not a string. */
function lowerText(value: unknown): string {
  return typeof value === 'string' ? value.toLowerCase() : '';
}

function article(word: string): string {
  return /^[AEIOU]/.test(word) ? 'an' : 'a';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
