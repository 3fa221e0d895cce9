import { Logger } from '@nestjs/common';
import { AppConfig } from '../config';

/**
 * Graceful shutdown has a deadline: when SIGTERM/SIGINT arrives, the process exits after
 * SHUTDOWN_TIMEOUT_MS even if a connection or a job refuses to close (the orchestrator
 * would kill it anyway; this way the log says why).
 */
export function enforceShutdownDeadline(config: AppConfig): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        new Logger('Shutdown').error(`Still running ${config.http.shutdownTimeoutMs} ms after ${signal}; exiting`);
        process.exit(1);
      }, config.http.shutdownTimeoutMs).unref();
    });
  }
}
