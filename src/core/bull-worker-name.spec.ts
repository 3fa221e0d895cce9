import Bull from 'bull';
import { guardBullWorkerNaming } from './bull-worker-name';

type NamingQueue = { setWorkerName(): Promise<unknown> };

describe('guardBullWorkerNaming', () => {
  /** What Bull's own setWorkerName touches of a queue whose blocking connection closes under CLIENT SETNAME. */
  const closingQueue = () => ({
    name: 'send',
    client: { status: 'ready' },
    bclient: { options: {}, client: jest.fn(() => Promise.reject(new Error('Connection is closed.'))) },
    clientName: () => 'bull:c2VuZA==',
  });

  it("settles Bull's naming of a worker connection that closed, instead of leaving a rejection nobody handles", async () => {
    const queue = closingQueue();
    // Bull's own method, as setHandler calls it: the rejection is thrown on.
    await expect((Bull.prototype as unknown as NamingQueue).setWorkerName.call(queue)).rejects.toThrow('Connection is closed.');
    guardBullWorkerNaming();
    guardBullWorkerNaming();
    await expect((Bull.prototype as unknown as NamingQueue).setWorkerName.call(queue)).resolves.toBeUndefined();
    expect(queue.bclient.client).toHaveBeenCalledWith('setname', 'bull:c2VuZA==');
  });
});
