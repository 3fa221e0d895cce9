import { isObject } from './json-values';
/** Reading the Cloud API's webhook payload, shared by its status and its inbound-message parsers. */

/** Every `entry[].changes[].value` of a webhook payload (statuses, messages and their metadata live there). */
export function changeValues(payload: unknown): Array<Record<string, unknown>> {
  if (!isObject(payload) || !Array.isArray(payload.entry)) return [];
  const values: Array<Record<string, unknown>> = [];
  for (const entry of payload.entry as unknown[]) {
    if (!isObject(entry) || !Array.isArray(entry.changes)) continue;
    for (const change of entry.changes as unknown[]) {
      if (isObject(change) && isObject(change.value)) values.push(change.value);
    }
  }
  return values;
}

