import { EnvelopeFamily, envelopeFamilyForPath } from './envelope-family';
import { listedProblems, renderError } from './error-body';

describe('envelopeFamilyForPath', () => {
  it.each([
    ['/broadcast', EnvelopeFamily.Standard],
    ['/attachment/1/download', EnvelopeFamily.Standard],
    ['/api/whatsapp-log/get-list', EnvelopeFamily.WhatsappLog],
    ['/v1/contacts/2348179803743/messages', EnvelopeFamily.ContactMessages],
    ['/v1/contacts', EnvelopeFamily.Standard],
    ['/api/v1/external/api-requests', EnvelopeFamily.External],
    // the router matches paths case-insensitively, so the envelope must too
    ['/API/Whatsapp-Log/count', EnvelopeFamily.WhatsappLog],
    ['/V1/Contacts/2348179803743/Messages', EnvelopeFamily.ContactMessages],
    ['/Api/V1/External/api-requests', EnvelopeFamily.External],
  ])('%s -> %s', (path, family) => expect(envelopeFamilyForPath(path)).toBe(family));
});

describe('renderError', () => {
  const failure = { status: 400, message: 'Validation failed', details: ['limit must be 100 or less', 'page must be 1 or more'] };

  it('renders each family in its seed shape', () => {
    expect(renderError(EnvelopeFamily.Standard, failure)).toEqual({ status: false, message: 'Validation failed', errors: failure.details });
    expect(renderError(EnvelopeFamily.WhatsappLog, failure)).toEqual({ error: 'limit must be 100 or less; page must be 1 or more' });
    expect(renderError(EnvelopeFamily.ContactMessages, failure)).toEqual({ statusCode: 400, error: 'Bad Request', message: failure.details });
    expect(renderError(EnvelopeFamily.External, { ...failure, status: 401, details: ['Invalid API key'] })).toEqual({
      code: 401,
      message: 'Invalid API key',
      success: false,
    });
  });

  it('carries the error id of server errors', () => {
    expect(renderError(EnvelopeFamily.WhatsappLog, { status: 500, message: 'Internal', details: [], errorId: 'e1' })).toEqual({
      error: 'Internal',
      errorId: 'e1',
    });
  });

  it('lists 20 problems at most, then how many more, in every family', () => {
    const details = Array.from({ length: 50 }, (_, index) => `property p${index} should not exist`);
    const standard = renderError(EnvelopeFamily.Standard, { status: 400, message: 'Validation failed', details }) as { errors: string[] };
    expect(standard.errors).toHaveLength(21);
    expect(standard.errors[20]).toBe('and 30 more');
    const whatsappLog = renderError(EnvelopeFamily.WhatsappLog, { status: 400, message: 'Validation failed', details }) as { error: string };
    expect(whatsappLog.error.split('; ')).toHaveLength(21);
  });

  it('cuts a problem that quotes a huge input', () => {
    const [line] = listedProblems([`property ${'x'.repeat(100_000)} should not exist`]);
    expect(line.length).toBeLessThan(600);
    expect(line.endsWith('…')).toBe(true);
  });
});
