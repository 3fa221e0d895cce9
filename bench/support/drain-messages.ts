/** What a benchmark worker process reports to bench/broadcast-drain.ts. */
export interface WorkerReport {
  type: 'report';
  /** MongoDB commands sent since the last reset, by command name. */
  mongoCommands: Record<string, number>;
  /** Insert, update and delete statements in those commands (a bulk write of 50 updates counts 50); the no-op worker sends none. */
  mongoDocumentWrites?: number;
  /** CPU time (user + system) since the last reset. */
  cpuMs: number;
}
