/** A broadcast as GET /broadcast/:id answers it (seed 001, plus `failures`). */
export interface BroadcastBody {
  _id: string;
  status: string;
  sent: string[];
  pending: string[];
  failed: string[];
  failures: Array<{ recipient: string; code: string; message: string }>;
}
