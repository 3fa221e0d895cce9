import { BadRequestException, CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata, UnsupportedMediaTypeException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { ACCEPTED_BODY_TYPES, MULTIPART_TYPE } from './request-body';

const ACCEPTS_MULTIPART = 'http:accepts-multipart';

/** The route reads a multipart body itself (an upload, its file in `fileField`); every other route refuses one. */
export const AcceptsMultipart = (fileField: string): MethodDecorator => SetMetadata(ACCEPTS_MULTIPART, fileField);

/**
 * Multipart bodies are not read by the body middleware (an upload streams them), so a route
 * that does not declare @AcceptsMultipart(field) would see no body at all: refuse it by name instead.
 * An upload route sent anything else (JSON) is told how to send it, before its fields are
 * validated as if they had come in a form.
 */
@Injectable()
export class MultipartRoutesInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const fileField = this.reflector.get<string | undefined>(ACCEPTS_MULTIPART, context.getHandler());
    const multipart = request.is(MULTIPART_TYPE);
    if (multipart && !fileField) {
      throw new UnsupportedMediaTypeException(`This route does not take ${MULTIPART_TYPE}; send ${ACCEPTED_BODY_TYPES.join(' or ')}`);
    }
    if (!multipart && fileField) throw new BadRequestException(`Send the file as ${MULTIPART_TYPE} in the field "${fileField}"`);
    return next.handle();
  }
}
