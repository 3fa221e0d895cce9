/**
 * A message template as WhatsApp keeps it in a Business Account: what the Graph API's
 * `GET /{waba-id}/message_templates` lists and `POST` creates, and what a send is checked against.
 */

/** Every status a template can have (the lifecycle webhook's `event` values, plus the review states). */
export const TEMPLATE_STATUSES = [
  'APPROVED',
  'PENDING',
  'REJECTED',
  'PAUSED',
  'DISABLED',
  'FLAGGED',
  'IN_APPEAL',
  'PENDING_DELETION',
  'DELETED',
  'ARCHIVED',
  'LIMIT_EXCEEDED',
  'LOCKED',
] as const;
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];

export const TEMPLATE_CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const;
export type TemplateCategory = (typeof TEMPLATE_CATEGORIES)[number];

export const TEMPLATE_QUALITY_SCORES = ['GREEN', 'YELLOW', 'RED', 'UNKNOWN'] as const;
export type TemplateQualityScore = (typeof TEMPLATE_QUALITY_SCORES)[number];

export const HEADER_FORMATS = ['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION'] as const;
export type HeaderFormat = (typeof HEADER_FORMATS)[number];

/** A button of a template's BUTTONS component, as defined (not as sent). */
export interface TemplateButtonDefinition {
  type: string;
  text?: string;
  /** A URL button's address; a `{{1}}` at its end is the dynamic suffix each send gives. */
  url?: string;
  phone_number?: string;
  example?: unknown;
}

/** One component of a template's definition (HEADER, BODY, FOOTER or BUTTONS). */
export interface TemplateComponentDefinition {
  type: string;
  format?: string;
  text?: string;
  buttons?: TemplateButtonDefinition[];
  example?: unknown;
}

/** What a send needs to know of a template. */
export interface TemplateDefinition {
  name: string;
  language: string;
  /** POSITIONAL ({{1}}, {{2}}...) unless the template was created with NAMED parameters ({{first_name}}). */
  parameter_format?: string | null;
  components: TemplateComponentDefinition[];
}

/** A template as the Graph API lists it. */
export interface GraphTemplate extends TemplateDefinition {
  id: string;
  status: string;
  category: string;
  quality_score?: { score?: string } | null;
  rejected_reason?: string | null;
}
