import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { HttpException, Logger, UnauthorizedException } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Express, NextFunction, Request, Response } from 'express';
import { envelopeFamilyForPath, reasonPhrase, renderError } from '@app/common';
import { RegisteredQueues } from '../core/registered-queues';
import { OPERATOR_CHALLENGE, OperatorAccess } from '../operator/operator-access';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * Bull Board at /admin/queues, over every queue this process registered. Its jobs hold every
 * client's recipients and messages, so it is the operator's: an operator credential opens it, a
 * tenant's key never does. It is Express, outside Nest's guards, so access is checked here first. Retrying or removing a job
 * there never breaks the ledger: MongoDB holds each message's state and the sweep re-enqueues a
 * pending recipient whose job vanished (README, "Operations").
 */
export function useQueueDashboard(app: NestExpressApplication): void {
  const access = app.get(OperatorAccess);
  const board = new ExpressAdapter();
  board.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: app.get(RegisteredQueues).all().map((queue) => new BullAdapter(queue)),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'WhatsApp queues' } },
  });
  const logger = new Logger('QueueDashboard');
  const guard = (request: Request, response: Response, next: NextFunction): void => {
    access.check(request, response).then(
      () => next(),
      (error: unknown) => refuse(request, response, error, logger),
    );
  };
  // Bull Board's own Express app; the main app's setting does not reach it. (helmet runs before, on the main app.)
  const boardApp = board.getRouter() as Express;
  boardApp.disable('x-powered-by');
  app.use(QUEUE_DASHBOARD_PATH, guard, boardApp);
}

/** The refusal in the API's own error envelope; a 401 also asks a browser for the key. */
function refuse(request: Request, response: Response, error: unknown, logger: Logger): void {
  if (!(error instanceof HttpException)) {
    logger.error({ err: error }, `Queue dashboard access could not be checked on ${request.method} ${request.originalUrl.split('?')[0]}`);
  }
  const status = error instanceof HttpException ? error.getStatus() : 500;
  const message = error instanceof HttpException ? error.message : reasonPhrase(500);
  if (error instanceof UnauthorizedException) response.setHeader('WWW-Authenticate', OPERATOR_CHALLENGE);
  response.status(status).json(renderError(envelopeFamilyForPath(QUEUE_DASHBOARD_PATH), { status, message, details: [] }));
}
