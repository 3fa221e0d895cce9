import { EnvelopeFamily } from './envelope-family';
import { StandardErrorEnvelope } from './standard-envelope';
import { ExternalErrorEnvelope } from './external-envelope';

/** What the exception filter knows about a failure, independent of the dialect. */
export interface ErrorDescription {
  status: number;
  /** One sentence for humans. */
  message: string;
  /** Each problem on its own line (validation errors name the field). */
  details: string[];
  /** Set for unexpected (5xx) failures; the same id is in the log line. */
  errorId?: string;
}

export interface WhatsappLogErrorEnvelope {
  error: string;
  errorId?: string;
}

export interface ContactMessagesErrorEnvelope {
  statusCode: number;
  error: string;
  message: string | string[];
  errorId?: string;
}

export type ErrorEnvelope =
  | StandardErrorEnvelope
  | WhatsappLogErrorEnvelope
  | ContactMessagesErrorEnvelope
  | ExternalErrorEnvelope;

const REASON_PHRASES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An error answer lists this many problems at most, so that it never outgrows the request. */
export const MAX_LISTED_PROBLEMS = 20;
/** A problem quotes input (a key, a value); past this length the quote is cut. */
const MAX_PROBLEM_LENGTH = 500;

const shorten = (line: string): string => (line.length > MAX_PROBLEM_LENGTH ? `${line.slice(0, MAX_PROBLEM_LENGTH)}…` : line);

/** The first problems, each cut to a readable length, and "and N more" for the rest. */
export function listedProblems(problems: string[]): string[] {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map(shorten);
  const unlisted = problems.length - listed.length;
  return unlisted > 0 ? [...listed, `and ${unlisted} more`] : listed;
}

export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? (status >= 500 ? 'Internal Server Error' : 'Error');
}

/** Renders one failure in the dialect of the family that the request belongs to. */
export function renderError(family: EnvelopeFamily, error: ErrorDescription): ErrorEnvelope {
  const withId = <T extends object>(body: T): T => (error.errorId ? { ...body, errorId: error.errorId } : body);
  const details = listedProblems(error.details);
  const message = shorten(error.message);
  const combined = details.length > 0 ? details.join('; ') : message;
  switch (family) {
    case EnvelopeFamily.Standard:
      return withId({ status: false, message, errors: details });
    case EnvelopeFamily.WhatsappLog:
      return withId({ error: combined });
    case EnvelopeFamily.ContactMessages:
      return withId({
        statusCode: error.status,
        error: reasonPhrase(error.status),
        message: details.length > 1 ? details : combined,
      });
    case EnvelopeFamily.External:
      return withId({ code: error.status, message: combined, success: false });
  }
}
