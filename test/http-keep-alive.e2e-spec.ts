import { Agent, get, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeWithMongo } from './support/mongo';
import { createTestApp, TestApp } from './support/test-app';

/** Node's keepAliveTimeout before configuration set it: idle connections closed after 5 s. */
const NODE_DEFAULT_KEEP_ALIVE_MS = 5000;

function getHealth(url: string, agent: Agent): Promise<{ status: number; reusedSocket: boolean }> {
  return new Promise((resolve, reject) => {
    const request = get(`${url}/health`, { agent }, (response: IncomingMessage) => {
      response.resume();
      response.once('end', () => resolve({ status: response.statusCode ?? 0, reusedSocket: request.reusedSocket }));
    });
    request.once('error', reject);
  });
}

describeWithMongo('HTTP keep-alive behind a load balancer (e2e)', () => {
  let t: TestApp;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    t = await createTestApp({ worker: false });
    server = (await t.app.listen(0, '127.0.0.1')) as Server;
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => t.close());

  it('keeps idle connections open longer than a load balancer does (65 s / 66 s by default)', () => {
    expect(server.keepAliveTimeout).toBe(65_000);
    expect(server.headersTimeout).toBe(66_000);
  });

  it("serves a kept-alive connection reused after idling past Node's old 5 s default", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await getHealth(url, agent);
      expect(first.reusedSocket).toBe(false);
      await sleep(NODE_DEFAULT_KEEP_ALIVE_MS + 1500);
      const second = await getHealth(url, agent);
      expect(second).toEqual({ status: first.status, reusedSocket: true });
    } finally {
      agent.destroy();
    }
  });
});
