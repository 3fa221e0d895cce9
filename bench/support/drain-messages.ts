/** What a benchmark worker process reports to bench/broadcast-drain.ts. */
export interface WorkerReport {
  type: 'report';
  /** MongoDB commands sent since the last reset, by command name. */
  mongoCommands: Record<string, number>;
  /** CPU time (user + system) since the last reset. */
  cpuMs: number;
}
