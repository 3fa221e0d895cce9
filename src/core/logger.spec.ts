import { redactUrl } from './logger';

describe('redactUrl', () => {
  it('hides credential query parameters and keeps the rest', () => {
    expect(redactUrl('/message-log?page=2&access_token=st_secret&session_id=abc')).toBe(
      '/message-log?page=2&access_token=%5BREDACTED%5D&session_id=abc',
    );
    expect(redactUrl('/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=v3rify')).not.toContain('v3rify');
  });

  it('leaves URLs without a query alone', () => {
    expect(redactUrl('/health')).toBe('/health');
    expect(redactUrl(undefined)).toBeUndefined();
  });
});
