import { DeadlineExceededError, withDeadline } from './deadline';

describe('withDeadline', () => {
  it('answers what the work answers in time, and its error', async () => {
    await expect(withDeadline(Promise.resolve('pong'), 50, 'Redis')).resolves.toBe('pong');
    await expect(withDeadline(Promise.reject(new Error('refused')), 50, 'Redis')).rejects.toThrow('refused');
  });

  it('gives up on work that never answers, naming what did not answer', async () => {
    const started = Date.now();
    const error = await withDeadline(new Promise(() => undefined), 80, 'MongoDB').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as Error).message).toBe('MongoDB did not answer within 80 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
