import { eventId, PublishedEvent } from '../event-webhook/client-events';
import type { MessageTemplateRecord } from './template.schema';

export type TemplateEventType = 'template.status_changed' | 'template.quality_changed' | 'template.category_changed';

/** The field of a template each event is about. */
const FIELD_OF: Record<TemplateEventType, 'status' | 'quality_score' | 'category'> = {
  'template.status_changed': 'status',
  'template.quality_changed': 'quality_score',
  'template.category_changed': 'category',
};

/**
 * The events of one change of a client's copy of a template (`at`: when it is written), in the
 * order they are told: its status, its quality, its category.
 */
export function templateEventsOf(before: MessageTemplateRecord, after: MessageTemplateRecord, at: Date): PublishedEvent[] {
  return (Object.keys(FIELD_OF) as TemplateEventType[]).filter((type) => before[FIELD_OF[type]] !== after[FIELD_OF[type]]).map((type) => templateChangedEvent(type, before, after, at));
}

/**
 * A template lifecycle event for the client whose catalogue changed: the template as it now is,
 * and what the field was before. Its id follows from the template, the change and when it was
 * written; a webhook Meta redelivers changes nothing more, so it makes no second event.
 */
export function templateChangedEvent(type: TemplateEventType, before: MessageTemplateRecord, after: MessageTemplateRecord, at: Date): PublishedEvent {
  const field = FIELD_OF[type];
  const id = after._id.toHexString();
  return {
    clientId: after.client_id.toHexString(),
    event: {
      id: eventId(id, type, String(before[field]), String(after[field]), at.toISOString()),
      type,
      created_at: at.toISOString(),
      data: {
        template: {
          id,
          template_id: after.template_id,
          name: after.name,
          language: after.language,
          status: after.status,
          category: after.category,
          quality_score: after.quality_score,
          rejected_reason: after.rejected_reason,
        },
        [`previous_${field}`]: before[field],
      },
    },
    orderKey: null,
    rank: 0,
  };
}

/** A broadcast the service paused or resumed because of its template. */
export function broadcastHeldEvent(
  type: 'broadcast.paused' | 'broadcast.resumed',
  clientId: string,
  broadcastId: string,
  template: Pick<MessageTemplateRecord, 'name' | 'language' | 'status'>,
  at: Date = new Date(),
): PublishedEvent {
  return {
    clientId,
    event: {
      id: eventId(broadcastId, type, at.toISOString()),
      type,
      created_at: at.toISOString(),
      data: {
        broadcast: { id: broadcastId, status: type === 'broadcast.paused' ? 'paused' : 'sending', paused_reason: type === 'broadcast.paused' ? 'template_paused' : null },
        template: { name: template.name, language: template.language, status: template.status },
      },
    },
    orderKey: null,
    rank: 0,
  };
}
