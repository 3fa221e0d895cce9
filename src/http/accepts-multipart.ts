import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata, UnsupportedMediaTypeException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { ACCEPTED_BODY_TYPES, MULTIPART_TYPE } from './request-body';

const ACCEPTS_MULTIPART = 'http:accepts-multipart';

/** The route reads a multipart body itself (an upload); every other route refuses one. */
export const AcceptsMultipart = (): MethodDecorator => SetMetadata(ACCEPTS_MULTIPART, true);

/**
 * Multipart bodies are not read by the body middleware (an upload streams them), so a route
 * that does not declare @AcceptsMultipart() would see no body at all: refuse it by name instead.
 */
@Injectable()
export class MultipartRoutesInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    if (request.is(MULTIPART_TYPE) && !this.reflector.get<boolean>(ACCEPTS_MULTIPART, context.getHandler())) {
      throw new UnsupportedMediaTypeException(`This route does not take ${MULTIPART_TYPE}; send ${ACCEPTED_BODY_TYPES.join(' or ')}`);
    }
    return next.handle();
  }
}
