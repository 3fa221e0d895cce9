/** What a `cloud-api` session stores (encrypted) to send and to receive webhooks. */
export interface CloudApiCredentials {
  /** The sender's id in the Graph API; also how webhooks name the number they are about. */
  phone_number_id: string;
  /** System-user or app access token with whatsapp_business_messaging permission. */
  access_token: string;
  /** The Meta app's secret: signs webhook bodies (X-Hub-Signature-256). */
  app_secret: string;
  /** Chosen when subscribing the webhook; echoed in the hub.verify_token handshake. */
  verify_token: string;
  /** The WhatsApp Business Account the number belongs to: its template catalogue. Optional (single transactional sends only). */
  waba_id?: string;
}

export const CLOUD_API_CREDENTIAL_FIELDS = ['phone_number_id', 'access_token', 'app_secret', 'verify_token'] as const;

/** A Business Account id as the Graph API writes it. */
export const WABA_ID_PATTERN = /^\d{5,20}$/;

/** What is wrong with an optional waba_id, or null when it is absent or well formed. */
export function wabaIdProblem(credentials: Record<string, unknown> | null | undefined): string | null {
  const value = credentials?.waba_id;
  if (value === undefined) return null;
  return typeof value === 'string' && WABA_ID_PATTERN.test(value.trim()) ? null : 'credentials.waba_id must be the WhatsApp Business Account id (5 to 20 digits)';
}

/** Names of the fields that are missing, empty or not strings. */
export function missingCloudApiCredentials(credentials: Record<string, unknown> | null | undefined): string[] {
  return CLOUD_API_CREDENTIAL_FIELDS.filter((field) => {
    const value = credentials?.[field];
    return typeof value !== 'string' || value.trim() === '';
  });
}

/** The credentials in their typed form; throws naming every missing field. */
export function readCloudApiCredentials(credentials: Record<string, unknown> | null | undefined): CloudApiCredentials {
  const missing = missingCloudApiCredentials(credentials);
  if (missing.length > 0) throw new Error(`Cloud API credentials need ${missing.join(', ')}`);
  const fields = credentials as Record<(typeof CLOUD_API_CREDENTIAL_FIELDS)[number], string>;
  return {
    phone_number_id: fields.phone_number_id.trim(),
    access_token: fields.access_token.trim(),
    app_secret: fields.app_secret.trim(),
    verify_token: fields.verify_token.trim(),
    ...(typeof credentials?.waba_id === 'string' && credentials.waba_id.trim() ? { waba_id: credentials.waba_id.trim() } : {}),
  };
}
