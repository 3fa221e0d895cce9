/** Success shape of seed 004: `{ code: 200, message, success: true, data }`. */
export interface ExternalEnvelope<T> {
  code: number;
  message: string;
  success: true;
  data: T;
}

export interface ExternalErrorEnvelope {
  code: number;
  message: string;
  success: false;
  errorId?: string;
}

export function externalOk<T>(message: string, data: T): ExternalEnvelope<T> {
  return { code: 200, message, success: true, data };
}
