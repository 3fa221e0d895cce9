import type { BroadcastCounts } from './types';

/** How far a broadcast has got: recipients sent or failed, out of all. */
export function progressOf(counts: BroadcastCounts): number {
  return counts.recipients === 0 ? 100 : Math.floor((100 * (counts.sent + counts.failed)) / counts.recipients);
}

export function ProgressBar({ counts }: { counts: BroadcastCounts }) {
  const percent = progressOf(counts);
  return (
    <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
      <span class="progress-fill" style={{ width: `${percent}%` }} />
      <span class="progress-text">{percent}%</span>
    </div>
  );
}

export function Problem({ error }: { error: string | null }) {
  return error ? <p class="problem" role="alert">{error}</p> : null;
}

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
