/** What the console reads from the API (the fields it shows). */

export interface BroadcastCounts {
  recipients: number;
  pending: number;
  sent: number;
  failed: number;
  delivered: number;
  read: number;
}

export interface BroadcastSummary {
  _id: string;
  status: string;
  createdAt: string;
  message: { text: string | null; template: { name: string } | null };
  counts: BroadcastCounts;
}

export interface BroadcastReport extends BroadcastCounts {
  broadcast_id: string;
  status: string;
  replied: number;
  opted_out: number;
  waiting_for_limit: number;
  failures: Array<{ code: string; title: string; message: string | null; count: number }>;
  cost: { billed_usd_cents: number; estimated_usd_cents: number };
  first_sent_at: string | null;
  last_sent_at: string | null;
  time_to_delivered: { p50_seconds: number | null; p90_seconds: number | null };
  series: Array<{ minute: string; sent: number; delivered: number; read: number; failed: number }>;
}

export interface ProgressEvent {
  _id: string;
  status: string;
  counts: BroadcastCounts;
}

export interface ContactMessage {
  id: string;
  status: string;
  direction: string;
  text: string | null;
  createdAt: string;
  broadcastId: string | null;
}

export interface SessionSummary {
  session_id: string;
  name: string;
  provider: string;
  phone_number: string | null;
  health: string;
  health_reason: string | null;
  /** The business portfolio whose messaging limit the session shares (its own id when it names none). */
  portfolio_id: string;
  /** The number's last quality event from Meta (FLAGGED, UNFLAGGED, UPGRADE, DOWNGRADE); null: none yet. */
  quality: { event: string; at: string } | null;
}

export interface PortfolioLimit {
  portfolio_id: string;
  messaging_limit: number | null;
  reached_in_window: number;
  next_room_at: string | null;
}

/** Broadcast statuses that still move (the progress stream has more to say). */
export const RUNNING_STATUSES = ['scheduled', 'sending', 'paused'];

export interface TemplateSummary {
  _id: string;
  name: string;
  language: string;
  category: string;
  status: string;
  quality_score: string | null;
  rejected_reason: string | null;
  components: Array<{ type: string; text?: string }>;
}
