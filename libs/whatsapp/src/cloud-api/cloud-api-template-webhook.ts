import { isObject } from './json-values';

/** The webhook fields that tell about a Business Account's templates. */
export const TEMPLATE_WEBHOOK_FIELDS = ['message_template_status_update', 'message_template_quality_update', 'template_category_update'] as const;

/** What one template notification says; the template is named by id, and by name and language. */
export type TemplateWebhookChange =
  | { kind: 'status'; event: string; reason: string | null }
  | { kind: 'quality'; previousScore: string | null; newScore: string }
  | { kind: 'category'; previousCategory: string | null; newCategory: string };

export interface TemplateWebhookEvent {
  /** `entry[].id`: the WhatsApp Business Account. */
  wabaId: string;
  templateId: string | null;
  name: string | null;
  language: string | null;
  change: TemplateWebhookChange;
}

/**
 * The template notifications of a Cloud API webhook (`entry[].changes[]` whose `field` is one of
 * TEMPLATE_WEBHOOK_FIELDS). Anything malformed is skipped; one bad item never costs the others.
 */
export function parseTemplateWebhook(payload: unknown): TemplateWebhookEvent[] {
  if (!isObject(payload) || !Array.isArray(payload.entry)) return [];
  const events: TemplateWebhookEvent[] = [];
  for (const entry of payload.entry as unknown[]) {
    if (!isObject(entry) || !Array.isArray(entry.changes) || (typeof entry.id !== 'string' && typeof entry.id !== 'number')) continue;
    for (const change of entry.changes as unknown[]) {
      if (!isObject(change) || !isObject(change.value)) continue;
      const parsed = changeOf(String(change.field), change.value);
      if (!parsed) continue;
      const { value } = change;
      const id = value.message_template_id;
      events.push({
        wabaId: String(entry.id),
        templateId: typeof id === 'string' || typeof id === 'number' ? String(id) : null,
        name: typeof value.message_template_name === 'string' ? value.message_template_name : null,
        language: typeof value.message_template_language === 'string' ? value.message_template_language : null,
        change: parsed,
      });
    }
  }
  return events.filter((event) => event.templateId !== null || (event.name !== null && event.language !== null));
}

function changeOf(field: string, value: Record<string, unknown>): TemplateWebhookChange | null {
  const text = (key: string): string | null => {
    const found = value[key];
    return typeof found === 'string' && found ? found.toUpperCase() : null;
  };
  switch (field) {
    case 'message_template_status_update': {
      const event = text('event');
      const reason = typeof value.reason === 'string' && value.reason !== 'NONE' ? value.reason : null;
      return event ? { kind: 'status', event, reason } : null;
    }
    case 'message_template_quality_update': {
      const newScore = text('new_quality_score');
      return newScore ? { kind: 'quality', previousScore: text('previous_quality_score'), newScore } : null;
    }
    case 'template_category_update': {
      const newCategory = text('new_category') ?? text('correct_category');
      return newCategory ? { kind: 'category', previousCategory: text('previous_category'), newCategory } : null;
    }
    default:
      return null;
  }
}
