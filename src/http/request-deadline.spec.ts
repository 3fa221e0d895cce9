import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import express from 'express';
import { of } from 'rxjs';
import request from 'supertest';
import type { DependencyWatch } from '../health/dependency-watch';
import { deadlineMessage, NoRequestDeadline, requestDeadline, RequestDeadlineInterceptor } from './request-deadline';

describe('deadlineMessage', () => {
  it('names the dependencies that did not answer, and warns a write that it may still take effect', () => {
    expect(deadlineMessage('GET', 5000, ['MongoDB'])).toBe('MongoDB did not answer within 1000 ms; the request was stopped after 5000 ms. Try again shortly.');
    expect(deadlineMessage('POST', 5000, ['MongoDB', 'Redis'])).toBe(
      'MongoDB and Redis did not answer within 1000 ms; the request was stopped after 5000 ms. Try again shortly. It may still take effect: check before sending it again.',
    );
    expect(deadlineMessage('HEAD', 3000, [])).toBe('The request did not finish within 3000 ms. Try again shortly.');
  });
});

describe('requestDeadline', () => {
  /** An app behind a 1.5 s deadline (the watch is asked 1 s before it) whose watch names `silent`: two routes never answer, one answers at once. */
  function appWith(silent: string[]): { app: express.Express; probes: () => number } {
    let probes = 0;
    const watch = { notAnswering: () => (probes++, Promise.resolve(silent)) } as unknown as DependencyWatch;
    const app = express();
    app.use(requestDeadline(1500, watch));
    app.get(['/never', '/api/v1/external/never'], () => undefined);
    app.get('/soon', (_request, response) => void setTimeout(() => response.json({ ok: true }), 50));
    return { app, probes: () => probes };
  }

  it("answers 503 in the path's envelope at the deadline, naming what did not answer, with Retry-After", async () => {
    const { app } = appWith(['Redis']);
    const started = Date.now();
    const response = await request(app).get('/never');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1490);
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('2');
    expect(response.body).toMatchObject({ status: false, message: 'Redis did not answer within 1000 ms; the request was stopped after 1500 ms. Try again shortly.' });
  });

  it('leaves an answer that came in time alone (its timers end with it), and says so plainly when every dependency answered', async () => {
    const { app, probes } = appWith([]);
    expect((await request(app).get('/soon')).body).toEqual({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(probes()).toBe(0);
    const stuck = await request(app).get('/api/v1/external/never');
    expect(stuck.status).toBe(503);
    expect(stuck.body).toMatchObject({ code: 503, success: false, message: 'The request did not finish within 1500 ms. Try again shortly.' });
    expect(probes()).toBe(1);
  });

  it('lifts the deadline of a route marked @NoRequestDeadline() once its interceptors run, and only of that route', async () => {
    class Routes {
      @NoRequestDeadline()
      upload(): void {}
      read(): void {}
    }
    const interceptor = new RequestDeadlineInterceptor(new Reflector());
    const app = express();
    app.use(requestDeadline(1500, { notAnswering: () => Promise.resolve([]) } as unknown as DependencyWatch));
    for (const name of ['upload', 'read'] as const) {
      app.get(`/${name}`, (incoming, response) => {
        const context = { getHandler: () => Routes.prototype[name], switchToHttp: () => ({ getRequest: () => incoming }) } as unknown as ExecutionContext;
        void interceptor.intercept(context, { handle: () => of(undefined) });
        setTimeout(() => {
          if (!response.headersSent) response.json({ answered: name });
        }, 2000);
      });
    }
    const [upload, read] = await Promise.all([request(app).get('/upload'), request(app).get('/read')]);
    expect(upload.status).toBe(200);
    expect(upload.body).toEqual({ answered: 'upload' });
    expect(read.status).toBe(503);
  });
});
