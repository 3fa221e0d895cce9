import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { envelopeFamilyForPath, ErrorDescription, reasonPhrase, renderError } from '../envelopes';
import { InputValidationException } from '../validation/validation-pipe';

interface BodyParserError {
  type: string;
  status: number;
  message: string;
  limit?: number;
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

function isBodyParserError(error: unknown): error is BodyParserError {
  return typeof error === 'object' && error !== null && typeof (error as BodyParserError).type === 'string' &&
    typeof (error as BodyParserError).status === 'number' && (error as BodyParserError).type.startsWith('entity.');
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
    const description = this.describe(exception, request);
    if (response.headersSent) {
      response.end();
      return;
    }
    response.status(description.status).json(renderError(envelopeFamilyForPath(request.path), description));
  }

  private describe(exception: unknown, request: Request): ErrorDescription {
    if (exception instanceof InputValidationException) {
      return { status: HttpStatus.BAD_REQUEST, message: 'Validation failed', details: exception.details };
    }
    if (exception instanceof HttpException) {
      return this.describeHttpException(exception, request);
    }
    if (isBodyParserError(exception)) {
      const message =
        exception.type === 'entity.parse.failed'
          ? 'Request body is not valid JSON'
          : exception.type === 'entity.too.large'
            ? `Request body is larger than the ${exception.limit ?? ''} bytes allowed`.replace('the  bytes', 'the limit')
            : exception.message;
      return { status: exception.status, message, details: [message] };
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
        message = details.join('; ');
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
