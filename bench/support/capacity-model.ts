/**
 * The capacity model of docs/capacity.md: from the measured cost of one recipient (one row of
 * bench/results/broadcast-drain.json) and stated assumptions, what a target send rate needs.
 */

/** What one recipient costs, as bench/broadcast-drain.ts measures it. */
export interface MeasuredCost {
  scenario: string;
  workerCpuMsPerRecipient: number;
  redisCommandsPerRecipient: number;
  mongoCommandsPerRecipient: number;
  mongoDocumentWritesPerRecipient: number;
  bytesPerMessageLog: number;
  bytesPerWhatsappLog: number;
  whatsappLogsPerMessage: number;
}

/** What the model takes as given; each has a default in docs/capacity.md and a flag in bench/capacity.ts. */
export interface Assumptions {
  /** Messages a second to sustain. */
  rate: number;
  /** How busy a worker's one core is planned to be (headroom for bursts, retries, GC). */
  workerUtilisation: number;
  /** Commands a second one Redis master sustains for Bull's mix (Lua scripts, lists, small strings), with headroom. */
  redisCommandsPerMaster: number;
  /** Document writes a second one MongoDB shard's primary sustains (w: majority, the ledger's indexes), with headroom. */
  mongoWritesPerShard: number;
  /** Messages a second one WhatsApp number may send (Cloud API default 80; up to 1,000 when upgraded). */
  sessionRate: number;
  /** Days message and WhatsApp logs are kept (MESSAGE_LOG_RETENTION_DAYS / WHATSAPP_LOG_RETENTION_DAYS). */
  retentionDays: number;
  /** Index bytes per document byte (the ledger's compound indexes), on top of the documents. */
  indexOverhead: number;
  /** Members of each replica set (each holds a full copy of its shard's data). */
  replicaSetMembers: number;
}

export const DEFAULT_ASSUMPTIONS: Omit<Assumptions, 'rate'> = {
  workerUtilisation: 0.6,
  redisCommandsPerMaster: 80_000,
  mongoWritesPerShard: 15_000,
  sessionRate: 80,
  retentionDays: 30,
  indexOverhead: 0.6,
  replicaSetMembers: 3,
};

export interface Sizing {
  workers: number;
  workerCores: number;
  redisMasters: number;
  sendQueueShards: number;
  redisCommandsPerSecond: number;
  mongoShards: number;
  mongoDocumentWritesPerSecond: number;
  mongoCommandsPerSecond: number;
  sendingSessions: number;
  storedBytesPerDay: number;
  storedBytesRetained: number;
  storedBytesPerShardMember: number;
}

/** Sizes a deployment for `assumptions.rate` messages a second at the measured cost. */
export function size(cost: MeasuredCost, assumptions: Assumptions): Sizing {
  const { rate } = assumptions;
  const workerCores = (rate * cost.workerCpuMsPerRecipient) / 1000;
  const workers = Math.max(1, Math.ceil(workerCores / assumptions.workerUtilisation));
  const redisCommandsPerSecond = rate * cost.redisCommandsPerRecipient;
  const redisMasters = Math.max(1, Math.ceil(redisCommandsPerSecond / assumptions.redisCommandsPerMaster));
  const mongoDocumentWritesPerSecond = rate * cost.mongoDocumentWritesPerRecipient;
  const mongoShards = Math.max(1, Math.ceil(mongoDocumentWritesPerSecond / assumptions.mongoWritesPerShard));
  const bytesPerMessage = cost.bytesPerMessageLog + cost.whatsappLogsPerMessage * cost.bytesPerWhatsappLog;
  const storedBytesPerDay = rate * 86_400 * bytesPerMessage * (1 + assumptions.indexOverhead);
  const storedBytesRetained = storedBytesPerDay * assumptions.retentionDays;
  return {
    workers,
    workerCores: round(workerCores, 2),
    redisMasters,
    // A few queues per master, so that hashing spreads them evenly; one queue without a cluster.
    sendQueueShards: redisMasters === 1 ? 1 : redisMasters * 4,
    redisCommandsPerSecond: Math.round(redisCommandsPerSecond),
    mongoShards,
    mongoDocumentWritesPerSecond: Math.round(mongoDocumentWritesPerSecond),
    mongoCommandsPerSecond: Math.round(rate * cost.mongoCommandsPerRecipient),
    sendingSessions: Math.ceil(rate / assumptions.sessionRate),
    storedBytesPerDay: Math.round(storedBytesPerDay),
    storedBytesRetained: Math.round(storedBytesRetained),
    storedBytesPerShardMember: Math.round(storedBytesRetained / mongoShards),
  };
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
