import { CallHandler, ExecutionContext, HttpStatus, Injectable, Logger, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiServiceUnavailableResponse } from '@nestjs/swagger';
import { envelopeFamilyForPath, markAnsweredEarly, renderError } from '@app/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Observable } from 'rxjs';
import { DEPENDENCY_PROBE_MS, DependencyWatch } from '../health/dependency-watch';

const NO_REQUEST_DEADLINE = 'http:no-request-deadline';

/**
 * The route may take longer than REQUEST_DEADLINE_MS once its handler runs: it reads an upload as
 * it arrives, or streams its answer. Authentication and the other guards before it stay bounded.
 */
export const NoRequestDeadline = (): MethodDecorator => SetMetadata(NO_REQUEST_DEADLINE, true);

/** What the OpenAPI document says of the 503 every route can answer (a route with a 503 of its own documents that instead). */
export const DEADLINE_RESPONSE_DESCRIPTION =
  'MongoDB or Redis did not answer in time: the request was stopped after REQUEST_DEADLINE_MS (5 s by default), or its work ' +
  'could not be queued. The message names the dependency; Retry-After says when to try again. A write may still take effect: check before sending it again.';

/** Documents the 503 of the request deadline (see requestDeadline); part of every route's auth decorator. */
export const ApiRequestDeadlineResponse = (): MethodDecorator & ClassDecorator =>
  ApiServiceUnavailableResponse({
    description: DEADLINE_RESPONSE_DESCRIPTION,
    headers: { 'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer' } } },
  });

/** The deadline of each request in flight, so that a route without one can lift it once it is known. */
const deadlines = new WeakMap<Request, () => void>();

/** Methods that change nothing: their 503 need not warn that the request may still take effect. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The 503's message: which dependency did not answer, and whether the request may still take effect. */
export function deadlineMessage(method: string, deadlineMs: number, silent: string[]): string {
  const cause =
    silent.length > 0
      ? `${silent.join(' and ')} did not answer within ${DEPENDENCY_PROBE_MS} ms; the request was stopped after ${deadlineMs} ms`
      : `The request did not finish within ${deadlineMs} ms`;
  const effect = SAFE_METHODS.has(method.toUpperCase()) ? '' : ' It may still take effect: check before sending it again.';
  return `${cause}. Try again shortly.${effect}`;
}

/**
 * Every request answers within `deadlineMs` of its body being read: a MongoDB or Redis that stops
 * answering (a step-down, a long pause, a partition) otherwise holds each request for as long as the
 * stall lasts, with no error to act on. At the deadline a request whose answer has not started gets
 * a 503 in its path's envelope, naming the dependency that did not answer a ping meanwhile (asked
 * DEPENDENCY_PROBE_MS before the deadline). The handler itself cannot be stopped: what it does still
 * happens, and its late answer is dropped. A middleware rather than an interceptor, so that the
 * guards (the API key is looked up in MongoDB) are bounded too.
 */
export function requestDeadline(deadlineMs: number, watch: DependencyWatch): RequestHandler {
  const logger = new Logger('RequestDeadline');
  const probeAfterMs = Math.max(0, deadlineMs - DEPENDENCY_PROBE_MS);
  return (request: Request, response: Response, next: NextFunction) => {
    let probe: Promise<string[]> | undefined;
    const answered = (): boolean => response.headersSent || response.writableEnded;
    const probeTimer = setTimeout(() => {
      probe = watch.notAnswering();
    }, probeAfterMs);
    const deadlineTimer = setTimeout(() => {
      void (probe ?? Promise.resolve([])).then((silent) => {
        if (answered() || !deadlines.has(request)) return;
        const message = deadlineMessage(request.method, deadlineMs, silent);
        logger.warn({ method: request.method, path: request.path, notAnswering: silent }, message);
        markAnsweredEarly(response);
        response
          .status(HttpStatus.SERVICE_UNAVAILABLE)
          .set('Retry-After', String(Math.ceil(deadlineMs / 1000)))
          .type('application/json')
          .json(renderError(envelopeFamilyForPath(request.path), { status: HttpStatus.SERVICE_UNAVAILABLE, message, details: [message] }));
      });
    }, deadlineMs);
    const lift = (): void => {
      clearTimeout(probeTimer);
      clearTimeout(deadlineTimer);
      deadlines.delete(request);
    };
    deadlines.set(request, lift);
    response.once('finish', lift);
    response.once('close', lift);
    next();
  };
}

/** Lifts the deadline of a route marked @NoRequestDeadline() once its guards have passed. */
@Injectable()
export class RequestDeadlineInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (this.reflector.get<boolean>(NO_REQUEST_DEADLINE, context.getHandler())) {
      deadlines.get(context.switchToHttp().getRequest<Request>())?.();
    }
    return next.handle();
  }
}
