import type { MessageEvent } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';

/**
 * Writes an Observable of events to the response as a Server-Sent Events stream and ends it
 * when the Observable completes; a client that goes away unsubscribes. Used instead of @Sse()
 * so that everything before the first event (a 404, a 403) is an ordinary JSON answer.
 */
export function writeEventStream(request: Request, response: Response, events: Observable<MessageEvent>): void {
  response.status(200);
  response.set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  response.flushHeaders();
  const subscription = events.subscribe({
    next: ({ type, data, id }) => {
      const lines = [...(type ? [`event: ${type}`] : []), ...(id ? [`id: ${id}`] : []), `data: ${typeof data === 'string' ? data : JSON.stringify(data)}`];
      response.write(`${lines.join('\n')}\n\n`);
    },
    complete: () => response.end(),
    error: () => response.end(),
  });
  request.on('close', () => subscription.unsubscribe());
}
