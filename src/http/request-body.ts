import {
  BadRequestException,
  HttpException,
  HttpStatus,
  PayloadTooLargeException,
  RawBodyRequest,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import * as contentType from 'content-type';
import { raw, NextFunction, Request, RequestHandler, Response } from 'express';
import * as qs from 'qs';
import { BodyShapeLimits, BodyShapeProblem, DEFAULT_BODY_SHAPE_LIMITS, findBodyShapeProblem, isPrototypeKey } from './body-shape';

/**
 * How request bodies are read, on every route. The seeds document every call as
 * `curl --data '{...}'`, which sends JSON text as `application/x-www-form-urlencoded` (and
 * other clients send it with no type at all), so those bodies are read as JSON when their
 * text is a JSON object or array, and as a form otherwise. Multipart bodies are left to the
 * upload routes that declare them (see accepts-multipart.ts).
 */
export const ACCEPTED_BODY_TYPES = ['application/json', 'application/x-www-form-urlencoded'] as const;
export const MULTIPART_TYPE = 'multipart/form-data';

/** Charsets whose bytes are UTF-8: UTF-8 itself and its ASCII subset. */
const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii']);

type BodyKind = 'json' | 'json-or-form' | 'multipart';

/** What the Content-Type says the body is; null for a type no route takes. */
function bodyKindOf(mediaType: string | null): BodyKind | null {
  if (mediaType === null || mediaType === 'application/x-www-form-urlencoded') return 'json-or-form';
  if (mediaType === 'application/json' || /^application\/[^/]+\+json$/.test(mediaType)) return 'json';
  if (mediaType === MULTIPART_TYPE) return 'multipart';
  return null;
}

interface ParsedContentType {
  mediaType: string | null;
  charset: string | null;
}

function parseContentType(request: Request): ParsedContentType {
  const header = request.headers['content-type'];
  if (!header) return { mediaType: null, charset: null };
  try {
    const parsed = contentType.parse(header);
    return { mediaType: parsed.type, charset: parsed.parameters.charset?.toLowerCase() ?? null };
  } catch {
    throw new BadRequestException(`Content-Type "${header.slice(0, 100)}" is not a valid media type`);
  }
}

const hasBody = (request: Request): boolean =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/**
 * Refuses, before a byte is read, what no route can take: a media type other than JSON,
 * a form or (where declared) multipart, and any charset but UTF-8.
 */
function checkContentType(request: Request, _response: Response, next: NextFunction): void {
  if (!hasBody(request)) return next();
  const { mediaType, charset } = parseContentType(request);
  const kind = bodyKindOf(mediaType);
  if (kind === null) {
    throw new UnsupportedMediaTypeException(
      `Content-Type "${mediaType}" is not accepted; send ${ACCEPTED_BODY_TYPES.join(' or ')} (${MULTIPART_TYPE} for uploads)`,
    );
  }
  if (charset !== null && !UTF8_CHARSETS.has(charset)) {
    throw new UnsupportedMediaTypeException(`Request body charset "${charset}" is not supported; send UTF-8`);
  }
  next();
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new BadRequestException('Request body is not valid UTF-8');
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BadRequestException(`Request body is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** qs drops `__proto__` silently; a form naming one is refused like a JSON body naming one. */
function refusePrototypeFormKeys(text: string): void {
  for (const name of new URLSearchParams(text).keys()) {
    const key = name.split(/[[\].]+/).find(isPrototypeKey);
    if (key !== undefined) throw new BadRequestException(`Request body key "${key}" (in form field "${name.slice(0, 200)}") is not allowed`);
  }
}

/** `a=1&b[c]=2` as nested objects; every value stays a string, for the DTOs to validate. */
function parseForm(text: string, limits: BodyShapeLimits): unknown {
  let parsed: unknown;
  try {
    parsed = qs.parse(text, { depth: limits.maxDepth, parameterLimit: limits.maxTotalKeys, throwOnLimitExceeded: true });
  } catch (error) {
    throw new PayloadTooLargeException(`Request body is a form that breaks a limit (${error instanceof Error ? error.message : String(error)})`);
  }
  refusePrototypeFormKeys(text);
  return parsed;
}

const looksLikeJson = (text: string): boolean => /^\s*[[{]/.test(text);

function shapeError(problem: BodyShapeProblem): HttpException {
  return problem.kind === 'too-many-keys'
    ? new PayloadTooLargeException(problem.message)
    : new HttpException(problem.message, HttpStatus.BAD_REQUEST);
}

/** Parses the bytes raw() read, then checks the body's and the query's shape before any route sees them. */
function parseBody(limits: BodyShapeLimits, keepRawBody: (request: Request) => boolean) {
  return (request: RawBodyRequest<Request>, _response: Response, next: NextFunction): void => {
    const bytes: unknown = request.body;
    // A signed webhook (Meta's) is taken as sent: a customer's odd text must not make Meta retry it forever.
    const signed = keepRawBody(request);
    if (Buffer.isBuffer(bytes)) {
      if (signed) request.rawBody = bytes;
      const text = decodeUtf8(bytes);
      const kind = bodyKindOf(parseContentType(request).mediaType);
      if (text.trim() === '') request.body = {};
      else if (kind === 'json' || looksLikeJson(text)) request.body = parseJson(text);
      else request.body = parseForm(text, limits);
    }
    const problem =
      findBodyShapeProblem(request.body, 'Request body', limits, { checkText: !signed }) ?? findBodyShapeProblem(request.query, 'Query string', limits, { checkText: !signed });
    if (problem) throw shapeError(problem);
    next();
  };
}

export interface RequestBodyOptions {
  /** Largest body accepted, as body-parser reads it (`2mb`). */
  limit: string;
  limits?: BodyShapeLimits;
  /** Requests whose exact bytes are kept as `rawBody` (signed webhooks). */
  keepRawBody: (request: Request) => boolean;
}

/** The middleware chain that reads every request body (multipart excepted) as described above. */
export function readRequestBody(options: RequestBodyOptions): RequestHandler[] {
  const limits = options.limits ?? DEFAULT_BODY_SHAPE_LIMITS;
  return [
    checkContentType,
    raw({ type: (request) => bodyKindOf(parseContentType(request as Request).mediaType) !== 'multipart', limit: options.limit }),
    parseBody(limits, options.keepRawBody),
  ];
}
