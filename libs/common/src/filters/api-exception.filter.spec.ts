import { ArgumentsHost, BadRequestException, Logger, NotFoundException } from '@nestjs/common';
import { InputValidationException } from '../validation/validation-pipe';
import { ApiExceptionFilter, markAnsweredEarly } from './api-exception.filter';

function run(exception: unknown, path = '/broadcast', method = 'GET', headers: Record<string, string> = {}) {
  const response = { statusCode: 0, body: undefined as unknown, headersSent: false };
  const res = {
    headersSent: false,
    status(code: number) {
      response.statusCode = code;
      return this;
    },
    type() {
      return this;
    },
    json(body: unknown) {
      response.body = body;
      return this;
    },
    end: jest.fn(),
  };
  const host = {
    switchToHttp: () => ({ getRequest: () => ({ path, method, headers }), getResponse: () => res }),
  } as unknown as ArgumentsHost;
  new ApiExceptionFilter().catch(exception, host);
  return response;
}

describe('ApiExceptionFilter', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  it("drops without a word what a handler ends with after its request's deadline answered for it", () => {
    const error = jest.spyOn(Logger.prototype, 'error');
    error.mockClear();
    const res = { headersSent: true, status: jest.fn(), json: jest.fn(), end: jest.fn() };
    markAnsweredEarly(res as never);
    const host = { switchToHttp: () => ({ getRequest: () => ({ path: '/contacts', method: 'GET', headers: {} }), getResponse: () => res }) } as unknown as ArgumentsHost;
    new ApiExceptionFilter().catch(new Error('Cannot set headers after they are sent to the client'), host);
    expect(res.status).not.toHaveBeenCalled();
    expect(res.end).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });

  it('lists validation problems', () => {
    expect(run(new InputValidationException(['limit must be 100 or less']))).toEqual(
      expect.objectContaining({ statusCode: 400, body: { status: false, message: 'Validation failed', errors: ['limit must be 100 or less'] } }),
    );
  });

  it('keeps the message of HTTP exceptions, in the family of the path', () => {
    expect(run(new NotFoundException('Broadcast 1 not found'), '/api/whatsapp-log/1/get-item').body).toEqual({
      error: 'Broadcast 1 not found',
    });
    expect(run(new BadRequestException('sent must be true or false'), '/api/v1/external/api-requests').body).toEqual({
      code: 400,
      message: 'sent must be true or false',
      success: false,
    });
  });

  it('answers unexpected errors with a generic 500 and an error id, never the cause', () => {
    const { statusCode, body } = run(new Error('connection string mongodb://admin:hunter2@db leaked'));
    expect(statusCode).toBe(500);
    const text = JSON.stringify(body);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('at ');
    expect(body).toEqual({
      status: false,
      message: expect.stringMatching(/^Internal server error \(error id [0-9a-f-]{36}\)$/),
      errors: [],
      errorId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it.each([
    [
      'an unsupported charset',
      Object.assign(new Error('unsupported charset "LATIN1"'), { status: 415, expose: true, type: 'charset.unsupported', charset: 'latin1' }),
      {},
      415,
      'Request body charset "latin1" is not supported; send UTF-8',
    ],
    [
      'an unknown Content-Encoding',
      Object.assign(new Error('unsupported content encoding "x-foo"'), { status: 415, expose: true, type: 'encoding.unsupported', encoding: 'x-foo' }),
      { 'content-encoding': 'x-foo' },
      415,
      'Content-Encoding "x-foo" is not supported; send identity, gzip, deflate or br',
    ],
    [
      'a body that is not the gzip it claims',
      Object.assign(new Error('incorrect header check'), { status: 400, expose: true, code: 'Z_DATA_ERROR' }),
      { 'content-encoding': 'gzip' },
      400,
      'Request body could not be decompressed as Content-Encoding "gzip" (incorrect header check)',
    ],
  ])('answers %s with a 4xx naming it, not a 500', (_case, error, headers, status, message) => {
    expect(run(error, '/contacts', 'POST', headers)).toMatchObject({ statusCode: status, body: { status: false, message, errors: [message] } });
  });

  it('answers a schema validation failure with 400 listing each refused path', () => {
    const refused = Object.assign(new Error('Contact validation failed'), {
      name: 'ValidationError',
      errors: { name: { message: 'Path `name` is required.' } },
    });
    expect(run(refused, '/api/whatsapp-log/count', 'POST')).toMatchObject({ statusCode: 400, body: { error: 'Path `name` is required.' } });
    expect(run(refused, '/contacts', 'POST').body).toEqual({ status: false, message: 'Validation failed', errors: ['Path `name` is required.'] });
  });

  it('maps oversized bodies to 413', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413, expose: true, limit: 2048 });
    expect(run(tooLarge, '/broadcast', 'POST')).toMatchObject({ statusCode: 413 });
  });
});
