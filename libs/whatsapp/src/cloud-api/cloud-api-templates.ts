import { isObject } from './json-values';
import type { GraphTemplate, TemplateComponentDefinition } from '../template/template-definition';
import { ProviderError } from '../provider';
import { describeGraphError, GraphApiError, UNEXPECTED_RESPONSE_CODE } from './cloud-api-errors';
import { callGraphApi } from './graph-api-call';

export interface CloudApiTemplatesOptions {
  baseUrl: string;
  version: string;
  timeoutMs: number;
  accessToken: string;
  /** The WhatsApp Business Account whose catalogue this reads and writes. */
  wabaId: string;
}

/** The fields a sync reads of each template. */
export const TEMPLATE_FIELDS = 'id,name,language,status,category,components,quality_score,rejected_reason,parameter_format';
/** Templates per page of a sync (the Graph API's maximum is higher; small pages keep each answer short). */
export const TEMPLATE_PAGE_SIZE = 100;
/** A sync stops after this many pages: a catalogue holds at most 6,000 templates (250 per name and language). */
const MAX_PAGES = 100;

export interface NewGraphTemplate {
  name: string;
  language: string;
  category: string;
  components: TemplateComponentDefinition[];
  parameter_format?: string;
}

/**
 * The Graph API refused a template request with a 4xx that is about the request itself
 * (a bad name, a component the API does not accept): the caller's mistake, with Meta's words.
 */
export class TemplateRequestRejected extends Error {
  constructor(
    readonly httpStatus: number,
    readonly graphError: GraphApiError | undefined,
  ) {
    super(describeGraphError(httpStatus, graphError));
    this.name = TemplateRequestRejected.name;
  }

  /** Meta's own explanation aimed at the user (error_user_title / error_user_msg), when it gives one. */
  get userMessage(): string {
    const title = this.graphError?.error_user_title?.trim();
    const text = this.graphError?.error_user_msg?.trim();
    return [title, text].filter(Boolean).join(': ') || this.message;
  }
}

interface TemplatePage {
  data?: unknown[];
  paging?: { cursors?: { after?: string }; next?: string };
}

/**
 * The message-template edge of one WhatsApp Business Account on the Graph API: list (every
 * page, following the `after` cursor), create and delete. Failures on Meta's side or the
 * network are ProviderErrors; a request Meta refuses as invalid is a TemplateRequestRejected.
 */
export class CloudApiTemplates {
  private readonly edge: string;

  constructor(private readonly options: CloudApiTemplatesOptions) {
    this.edge = `${options.baseUrl.replace(/\/+$/, '')}/${options.version}/${encodeURIComponent(options.wabaId)}/message_templates`;
  }

  /** Every template of the account, page after page. */
  async listAll(): Promise<GraphTemplate[]> {
    const templates: GraphTemplate[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = new URLSearchParams({ fields: TEMPLATE_FIELDS, limit: String(TEMPLATE_PAGE_SIZE), ...(after ? { after } : {}) });
      const answer = await this.call<TemplatePage>('template list', `${this.edge}?${query.toString()}`, { method: 'GET' });
      for (const item of answer.data ?? []) {
        const template = toGraphTemplate(item);
        if (template) templates.push(template);
      }
      after = answer.paging?.next ? answer.paging.cursors?.after : undefined;
      if (!after) break;
    }
    return templates;
  }

  /** Submits a template for review; Meta answers its id, status (usually PENDING) and category. */
  async create(template: NewGraphTemplate): Promise<{ id: string; status: string; category: string }> {
    const answer = await this.call<{ id?: unknown; status?: unknown; category?: unknown }>('template create', this.edge, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(template),
    });
    if (typeof answer.id !== 'string' && typeof answer.id !== 'number') throw new ProviderError('permanent', UNEXPECTED_RESPONSE_CODE, 'Cloud API template create answered without an id');
    return { id: String(answer.id), status: typeof answer.status === 'string' ? answer.status : 'PENDING', category: typeof answer.category === 'string' ? answer.category : template.category };
  }

  /** Deletes every language of a template by name, or one by its id (`hsm_id`). */
  async delete(name: string, templateId?: string): Promise<void> {
    const query = new URLSearchParams({ name, ...(templateId ? { hsm_id: templateId } : {}) });
    await this.call<unknown>('template delete', `${this.edge}?${query.toString()}`, { method: 'DELETE' });
  }

  private call<T>(what: string, url: string, init: RequestInit): Promise<T> {
    return callGraphApi<T>({
      what,
      url,
      init,
      accessToken: this.options.accessToken,
      timeoutMs: this.options.timeoutMs,
      // An invalid request (code 100 and its subcodes, or a plain 400/404) is the caller's to fix; the rest is the account's or Meta's.
      refusal: (status, graphError, classified) =>
        !classified.isTransient && !classified.options.sessionUnusable && status >= 400 && status < 500 ? new TemplateRequestRejected(status, graphError) : undefined,
    });
  }
}

/** A listed template in its typed form; null when an item lacks what a catalogue entry needs. */
function toGraphTemplate(item: unknown): GraphTemplate | null {
  if (!isObject(item)) return null;
  const { id, name, language, status, category } = item;
  if ((typeof id !== 'string' && typeof id !== 'number') || typeof name !== 'string' || typeof language !== 'string') return null;
  return {
    id: String(id),
    name,
    language,
    status: typeof status === 'string' ? status.toUpperCase() : 'PENDING',
    category: typeof category === 'string' ? category.toUpperCase() : 'UTILITY',
    components: Array.isArray(item.components) ? (item.components.filter(isObject) as unknown as TemplateComponentDefinition[]) : [],
    parameter_format: typeof item.parameter_format === 'string' ? item.parameter_format : null,
    quality_score: isObject(item.quality_score) && typeof item.quality_score.score === 'string' ? { score: item.quality_score.score } : null,
    rejected_reason: typeof item.rejected_reason === 'string' ? item.rejected_reason : null,
  };
}


