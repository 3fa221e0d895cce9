import { ProviderError, StatusUpdate } from '../provider';
import { SandboxProvider, SANDBOX_PRICE_IN_USD_CENTS } from './sandbox.provider';

const text = { kind: 'text' as const, text: 'hi' };

describe('SandboxProvider', () => {
  it('accepts a send and counts it per idempotency key', async () => {
    const sandbox = new SandboxProvider({ latencyMs: 0, failureRate: 0, statusDelayMs: 0 });
    const result = await sandbox.send({ to: '2348031230000', message: text, idempotencyKey: 'b:1:0' });
    expect(result.providerMessageId).toMatch(/^wamid\.sandbox\.[0-9a-f]{32}$/);
    expect(sandbox.sendCount('b:1:0')).toBe(1);
    expect(sandbox.duplicateSends()).toEqual([]);
    await sandbox.send({ to: '2348031230000', message: text, idempotencyKey: 'b:1:0' });
    expect(sandbox.duplicateSends()).toEqual(['b:1:0']);
  });

  it('always fails numbers ending in 9999 permanently', async () => {
    const sandbox = new SandboxProvider({ latencyMs: 0, failureRate: 0, statusDelayMs: 0 });
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await sandbox.send({ to: '2348031239999', message: text, idempotencyKey: 'k' }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ kind: 'permanent', code: '131026' });
    }
    expect(sandbox.sendCount('k')).toBe(0);
  });

  it('fails numbers ending in 7777 once transiently, then accepts the retry', async () => {
    const sandbox = new SandboxProvider({ latencyMs: 0, failureRate: 0, statusDelayMs: 0 });
    await expect(sandbox.send({ to: '2348031237777', message: text, idempotencyKey: 'k' })).rejects.toMatchObject({ kind: 'transient', code: '130429' });
    await expect(sandbox.send({ to: '2348031237777', message: text, idempotencyKey: 'k' })).resolves.toHaveProperty('providerMessageId');
    expect(sandbox.sendCount('k')).toBe(1);
  });

  it('fails at the configured rate', async () => {
    const sandbox = new SandboxProvider({ latencyMs: 0, failureRate: 0.5, statusDelayMs: 0, random: () => 0.2 });
    await expect(sandbox.send({ to: '2348031230000', message: text, idempotencyKey: 'k' })).rejects.toMatchObject({ kind: 'transient' });
  });

  it('emits delivered (with a price) then read through the status sink', async () => {
    const updates: StatusUpdate[] = [];
    const sandbox = new SandboxProvider({ latencyMs: 0, failureRate: 0, statusDelayMs: 5, statusSink: { apply: async (update) => void updates.push(update) } });
    const { providerMessageId } = await sandbox.send({ to: '2348031230000', message: text, idempotencyKey: 'k' });
    // Two 5 ms steps; polled rather than slept on, since a loaded machine may run the timers late.
    for (const deadline = Date.now() + 5_000; updates.length < 2 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(updates.map(({ status }) => status)).toEqual(['delivered', 'read']);
    expect(updates[0]).toMatchObject({ providerMessageId, costInUsdCents: SANDBOX_PRICE_IN_USD_CENTS, recipient: '2348031230000' });
    sandbox.close();
  });
});
