import { signatureHeader, verifyEventSignature } from './event-signature';
import { isRetryable, isSuccess } from './webhook-request';
import { deliveryTarget, isPublicAddress, webhookUrlProblem } from './webhook-url-guard';

describe('event signatures', () => {
  const body = '{"id":"evt_1","type":"message.read"}';
  const now = new Date('2026-12-03T12:00:00Z');
  const timestamp = Math.floor(now.getTime() / 1000);

  it('is t=<timestamp>,v1=<HMAC-SHA256 of "<timestamp>.<body>">, verified in constant time', () => {
    const signature = signatureHeader(['whsec_s'], timestamp, body);
    expect(signature).toMatch(new RegExp(`^t=${timestamp},v1=[0-9a-f]{64}$`));
    expect(verifyEventSignature('whsec_s', signature, body, now)).toBe(true);
    expect(verifyEventSignature('whsec_other', signature, body, now)).toBe(false);
    expect(verifyEventSignature('whsec_s', signature.replace(`t=${timestamp}`, `t=${timestamp + 1}`), body, now)).toBe(false);
    expect(verifyEventSignature('whsec_s', signature, `${body} `, now)).toBe(false);
    expect(verifyEventSignature('whsec_s', undefined, body, now)).toBe(false);
    expect(verifyEventSignature('whsec_s', `t=${timestamp}`, body, now)).toBe(false);
  });

  it('carries one v1 per secret in force: a receiver holding either verifies', () => {
    const signature = signatureHeader(['whsec_new', 'whsec_old'], timestamp, body);
    expect(signature.split(',').filter((part) => part.startsWith('v1='))).toHaveLength(2);
    expect(verifyEventSignature('whsec_new', signature, body, now)).toBe(true);
    expect(verifyEventSignature('whsec_old', signature, body, now)).toBe(true);
    expect(verifyEventSignature('whsec_third', signature, body, now)).toBe(false);
  });

  it('refuses a replay: a timestamp older (or newer) than five minutes', () => {
    const old = timestamp - 301;
    expect(verifyEventSignature('whsec_s', signatureHeader(['whsec_s'], old, body), body, now)).toBe(false);
    const recent = timestamp - 299;
    expect(verifyEventSignature('whsec_s', signatureHeader(['whsec_s'], recent, body), body, now)).toBe(true);
  });
});

describe('webhook URL guard (SSRF)', () => {
  it.each(['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '224.0.0.1'])(
    'refuses %s',
    (address) => expect(isPublicAddress(address)).toBe(false),
  );

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111'])('accepts the public address %s', (address) => expect(isPublicAddress(address)).toBe(true));

  it('refuses private literal hosts unless allowed, and bad schemes or credentials always', async () => {
    expect(await webhookUrlProblem('http://127.0.0.1:8080/hook', false)).toMatch(/127\.0\.0\.1, a loopback, private or link-local address/);
    expect(await webhookUrlProblem('http://[::1]/hook', false)).toMatch(/::1/);
    expect(await webhookUrlProblem('http://169.254.169.254/latest/meta-data', false)).toMatch(/link-local/);
    expect(await webhookUrlProblem('http://localhost/hook', false)).toMatch(/resolves to (127\.0\.0\.1|::1)/);
    expect(await webhookUrlProblem('http://127.0.0.1:8080/hook', true)).toBeNull();
    expect(await webhookUrlProblem('https://93.184.216.34/hook', false)).toBeNull();
    expect(await webhookUrlProblem('file:///etc/passwd', true)).toMatch(/http/);
    expect(await webhookUrlProblem('https://a:b@93.184.216.34/', true)).toMatch(/credentials/);
    expect(await webhookUrlProblem(`https://example.com/${'a'.repeat(2100)}`, true)).toMatch(/at most 2048/);
  });
});

describe('delivery target (SSRF at delivery time)', () => {
  it.each([
    'http://127.0.0.1:9/hook',
    'http://[::1]:9/hook',
    'http://[::ffff:127.0.0.1]:9/hook',
    'http://2130706433:9/hook',
    'http://0x7f.0.0.1:9/hook',
    'http://0177.0.0.1:9/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://[fd00::1]/hook',
    'http://localhost:9/hook',
  ])('refuses %s, naming the reason', async (url) => {
    const target = await deliveryTarget(url, false);
    expect(target).toEqual({ refused: expect.stringMatching(/^EADDRNOTPUBLIC: not delivered: .* a loopback, private or link-local address/) });
  });

  it('takes a public IP literal as it is, and any address when private ones are allowed', async () => {
    await expect(deliveryTarget('https://93.184.216.34/hook', false)).resolves.toEqual({ address: '93.184.216.34', family: 4 });
    await expect(deliveryTarget('http://[::1]:9/hook', true)).resolves.toEqual({ address: '::1', family: 6 });
  });
});

describe('delivery outcomes', () => {
  const answered = (statusCode: number) => ({ kind: 'answered' as const, statusCode, latencyMs: 1, bodyExcerpt: '' });

  it('retries network errors, 5xx, 408 and 429, never other answers', () => {
    expect(isRetryable({ kind: 'network-error', latencyMs: 1, error: 'ECONNREFUSED' })).toBe(true);
    for (const status of [500, 502, 503, 504, 408, 429]) expect(isRetryable(answered(status))).toBe(true);
    for (const status of [400, 401, 403, 404, 410, 422, 301]) expect(isRetryable(answered(status))).toBe(false);
    expect(isSuccess(answered(204))).toBe(true);
    expect(isSuccess(answered(301))).toBe(false);
  });
});
