/** A broadcast as GET /broadcast/:id answers it (seed 001, plus `failures`). */
export interface BroadcastBody {
  _id: string;
  status: string;
  sent: string[];
  pending: string[];
  failed: string[];
  failures: Array<{ recipient: string; code: string; message: string }>;
  counts: { recipients: number; pending: number; sent: number; failed: number; delivered: number; read: number; waiting_for_limit: number; next_waiting_at: string | null };
}

/**
 * `count` distinct valid Nigerian mobile numbers: `234`, then `head` (a network prefix such as
 * `803`, and any block digits that keep one test's numbers apart from another's), then the index.
 */
export function mobileNumbers(count: number, head: string): string[] {
  const width = 10 - head.length;
  return Array.from({ length: count }, (_, index) => `234${head}${String(index).padStart(width, '0')}`);
}
