import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { envelopeFamilyForPath, ErrorDescription, listedProblems, reasonPhrase, renderError } from '../envelopes';
import { InputValidationException } from '../validation/validation-pipe';

/**
 * The http-errors shape thrown by body-parser and raw-body before any controller runs:
 * `expose` marks a 4xx caused by the request (bad charset, bad Content-Encoding, corrupt
 * gzip, oversized or malformed body), whose message may be shown.
 */
interface ClientHttpError {
  status: number;
  expose: true;
  message: string;
  type?: string;
  limit?: number;
  charset?: string;
  encoding?: string;
}

/** Mongoose's document validation failure: `errors` maps each path to what is wrong with it. */
interface MongooseValidationError {
  name: 'ValidationError';
  errors: Record<string, { message: string }>;
}

interface MulterLikeError {
  name: 'MulterError';
  code: string;
  field?: string;
  message: string;
}

const MULTER_STATUS: Record<string, number> = {
  LIMIT_FILE_SIZE: HttpStatus.PAYLOAD_TOO_LARGE,
  LIMIT_FIELD_VALUE: HttpStatus.PAYLOAD_TOO_LARGE,
  LIMIT_PART_COUNT: HttpStatus.PAYLOAD_TOO_LARGE,
};

function isClientHttpError(error: unknown): error is ClientHttpError {
  if (typeof error !== 'object' || error === null) return false;
  const { status, expose } = error as Partial<ClientHttpError>;
  return expose === true && typeof status === 'number' && status >= 400 && status < 500;
}

function isMongooseValidationError(error: unknown): error is MongooseValidationError {
  return typeof error === 'object' && error !== null && (error as MongooseValidationError).name === 'ValidationError' &&
    typeof (error as MongooseValidationError).errors === 'object' && (error as MongooseValidationError).errors !== null;
}

/** Where to go from a body over the limit: the operator's setting, and for a broadcast the route made for long lists. */
function bodyLimitHint(request: Request): string {
  const csv = request.path === '/broadcast' ? '; send long recipient lists as a CSV file to POST /broadcast/csv' : '';
  return ` (the server's BODY_LIMIT)${csv}`;
}

/** Says in the client's terms what was wrong with a body that could not be read. */
function describeUnreadableBody(error: ClientHttpError, request: Request): string {
  const contentEncoding = request.headers['content-encoding'];
  switch (error.type) {
    case 'entity.parse.failed':
      return 'Request body is not valid JSON';
    case 'entity.too.large':
      return `${error.limit === undefined ? 'Request body is larger than the limit' : `Request body is larger than the ${error.limit} bytes allowed`}${bodyLimitHint(request)}`;
    case 'charset.unsupported':
      return `Request body charset "${error.charset ?? 'unknown'}" is not supported; send UTF-8`;
    case 'encoding.unsupported':
      return `Content-Encoding "${error.encoding ?? contentEncoding ?? 'unknown'}" is not supported; send identity, gzip, deflate or br`;
    case undefined:
      // Decompression errors arrive as bare zlib errors wrapped in a 400, with zlib's terse message.
      return contentEncoding && contentEncoding !== 'identity'
        ? `Request body could not be decompressed as Content-Encoding "${contentEncoding}" (${error.message})`
        : error.message;
    default:
      return error.message;
  }
}

/** Responses answered before their handler finished (a request deadline's 503). */
const answeredEarly = new WeakSet<Response>();

/**
 * The response was answered on the handler's behalf (a 503 at the request's deadline): whatever the
 * handler ends with later, an answer or an error, is dropped without a word, as it reaches no one.
 */
export function markAnsweredEarly(response: Response): void {
  answeredEarly.add(response);
}

function isMulterError(error: unknown): error is MulterLikeError {
  return typeof error === 'object' && error !== null && (error as MulterLikeError).name === 'MulterError';
}

/**
 * The application's single exception filter. It turns every failure into a description
 * (status, message, per-field details) and renders it in the envelope family of the
 * request's path. Unexpected errors answer a generic 500 with an error id; the cause is
 * logged under that id and never sent to the client.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(ApiExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    const request = context.getRequest<Request>();
    const response = context.getResponse<Response>();
    if (answeredEarly.has(response)) return;
    const description = this.describe(exception, request);
    if (response.headersSent) {
      response.end();
      return;
    }
    // Explicit type: a handler's @Header('Content-Type', 'text/plain') is already set when its guards or pipes throw.
    response.status(description.status).type('application/json').json(renderError(envelopeFamilyForPath(request.path), description));
  }

  private describe(exception: unknown, request: Request): ErrorDescription {
    if (exception instanceof InputValidationException) {
      return { status: HttpStatus.BAD_REQUEST, message: 'Validation failed', details: exception.details };
    }
    if (exception instanceof HttpException) {
      return this.describeHttpException(exception, request);
    }
    if (isClientHttpError(exception)) {
      const message = describeUnreadableBody(exception, request);
      return { status: exception.status, message, details: [message] };
    }
    if (isMongooseValidationError(exception)) {
      // Input the request validation let through and the schema refused: still the client's error, but a gap worth closing.
      const details = Object.values(exception.errors).map((error) => error.message);
      this.logger.warn({ path: request.path, details }, `Schema validation refused input on ${request.method} ${request.path}`);
      return { status: HttpStatus.BAD_REQUEST, message: 'Validation failed', details };
    }
    if (isMulterError(exception)) {
      const status = MULTER_STATUS[exception.code] ?? HttpStatus.BAD_REQUEST;
      const message = exception.field ? `${exception.field}: ${exception.message}` : exception.message;
      return { status, message, details: [message] };
    }
    const errorId = randomUUID();
    this.logger.error(
      { err: exception, errorId, method: request.method, path: request.path },
      `Unhandled error ${errorId} on ${request.method} ${request.path}`,
    );
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      message: `Internal server error (error id ${errorId})`,
      details: [],
      errorId,
    };
  }

  private describeHttpException(exception: HttpException, request: Request): ErrorDescription {
    const status = exception.getStatus();
    const body = exception.getResponse();
    let message = exception.message;
    let details: string[] = [];
    if (typeof body === 'object' && body !== null) {
      const raw = (body as { message?: unknown; details?: unknown }).message;
      const rawDetails = (body as { details?: unknown }).details;
      if (Array.isArray(raw)) {
        details = raw.map(String);
        message = listedProblems(details).join('; ');
      } else if (typeof raw === 'string') {
        message = raw;
      }
      if (Array.isArray(rawDetails)) details = rawDetails.map(String);
    } else if (typeof body === 'string') {
      message = body;
    }
    if (exception instanceof NotFoundException && message.startsWith('Cannot ')) {
      message = `No route for ${request.method} ${request.path}`;
    }
    if (status >= 500) {
      const errorId = randomUUID();
      this.logger.error({ err: exception, errorId }, `Server error ${errorId} on ${request.method} ${request.path}`);
      return { status, message: `${reasonPhrase(status)} (error id ${errorId})`, details: [], errorId };
    }
    return { status, message, details: details.length > 0 ? details : [message] };
  }
}
