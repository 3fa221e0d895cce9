import { WhatsappLogSchema } from './whatsapp-log.schema';

/** How a field's values are compared: hex ids become ObjectIds, date-times become Dates. */
export type FieldKind = 'objectId' | 'string' | 'number' | 'date';

/** One field of the WhatsApp log that `select`, `query` and `sort` may name. */
export interface FieldSpec {
  name: string;
  kind: FieldKind;
  /** Whether the field may hold null (every optional field defaults to null). */
  nullable: boolean;
  /** The only values the field can hold, when the schema restricts them. */
  allowedValues: readonly string[] | null;
}

const KIND_BY_MONGOOSE_INSTANCE: Record<string, FieldKind> = {
  ObjectId: 'objectId',
  String: 'string',
  Number: 'number',
  Date: 'date',
};

/** Mongoose's version key: kept in stored documents, not a field of the seed's model. */
const VERSION_KEY = '__v';

/** Fields that exist on every document, whatever the schema says about them; listed first, as in the seed. */
const ALWAYS_PRESENT = ['_id', 'createdAt', 'updatedAt'];

/**
 * The model's scalar fields with their types, read from the schema itself so that a field
 * added there is queryable with the right type without a second list to keep in step.
 */
function fieldsOfSchema(): Map<string, FieldSpec> {
  const fields = new Map<string, FieldSpec>();
  const paths = Object.entries(WhatsappLogSchema.paths);
  const leadingFirst = [
    ...ALWAYS_PRESENT.flatMap((name) => paths.filter(([pathName]) => pathName === name)),
    ...paths.filter(([name]) => !ALWAYS_PRESENT.includes(name)),
  ];
  for (const [name, path] of leadingFirst) {
    if (name === VERSION_KEY) continue;
    const kind = KIND_BY_MONGOOSE_INSTANCE[path.instance];
    // Arrays and sub-documents have no equality this API offers; they stay out of select/query/sort.
    if (!kind) continue;
    const enumValues = (path as { enumValues?: string[] }).enumValues;
    fields.set(name, {
      name,
      kind,
      nullable: !path.isRequired && !ALWAYS_PRESENT.includes(name),
      allowedValues: enumValues && enumValues.length > 0 ? enumValues : null,
    });
  }
  return fields;
}

export const WHATSAPP_LOG_FIELDS: ReadonlyMap<string, FieldSpec> = fieldsOfSchema();
export const WHATSAPP_LOG_FIELD_NAMES: readonly string[] = [...WHATSAPP_LOG_FIELDS.keys()];

/**
 * The seed lists relation objects (`project`, `incident`, ...) beside their ids. This API
 * never expands relations, so naming one is an error that points to its id field instead.
 */
export const SEED_RELATION_ID_FIELDS: ReadonlyMap<string, string> = new Map([
  ['project', 'projectId'],
  ['incident', 'incidentId'],
  ['user', 'userId'],
  ['alert', 'alertId'],
  ['monitor', 'monitorId'],
  ['scheduledMaintenance', 'scheduledMaintenanceId'],
  ['statusPage', 'statusPageId'],
  ['statusPageAnnouncement', 'statusPageAnnouncementId'],
  ['team', 'teamId'],
  ['onCallDutyPolicy', 'onCallDutyPolicyId'],
  ['onCallDutyPolicyEscalationRule', 'onCallDutyPolicyEscalationRuleId'],
  ['onCallDutyPolicySchedule', 'onCallDutyPolicyScheduleId'],
]);
