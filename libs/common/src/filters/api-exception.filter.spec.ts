import { ArgumentsHost, BadRequestException, Logger, NotFoundException } from '@nestjs/common';
import { InputValidationException } from '../validation/validation-pipe';
import { ApiExceptionFilter } from './api-exception.filter';

function run(exception: unknown, path = '/broadcast', method = 'GET') {
  const response = { statusCode: 0, body: undefined as unknown, headersSent: false };
  const res = {
    headersSent: false,
    status(code: number) {
      response.statusCode = code;
      return this;
    },
    json(body: unknown) {
      response.body = body;
      return this;
    },
    end: jest.fn(),
  };
  const host = {
    switchToHttp: () => ({ getRequest: () => ({ path, method }), getResponse: () => res }),
  } as unknown as ArgumentsHost;
  new ApiExceptionFilter().catch(exception, host);
  return response;
}

describe('ApiExceptionFilter', () => {
  beforeAll(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));

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

  it('maps oversized bodies to 413', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413, limit: 2048 });
    expect(run(tooLarge, '/broadcast', 'POST')).toMatchObject({ statusCode: 413 });
  });
});
