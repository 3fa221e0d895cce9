import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { BroadcastReport } from './types';

const SERIES_COLOURS = { sent: '#2563eb', delivered: '#16a34a', read: '#9333ea', failed: '#dc2626' } as const;

/** The funnel as horizontal bars, each as wide as its share of the recipients. */
export function FunnelChart({ report }: { report: BroadcastReport }) {
  const steps: Array<[string, number]> = [
    ['Recipients', report.recipients],
    ['Sent', report.sent],
    ['Delivered', report.delivered],
    ['Read', report.read],
    ['Replied', report.replied],
    ['Failed', report.failed],
  ];
  const whole = Math.max(1, report.recipients);
  return (
    <div class="funnel" role="img" aria-label="Funnel">
      {steps.map(([label, value]) => (
        <div class="funnel-step" data-step={label.toLowerCase()} key={label}>
          <span class="funnel-label">{label}</span>
          <span class="funnel-track">
            <span class={`funnel-bar bar-${label.toLowerCase()}`} style={{ width: `${(100 * value) / whole}%` }} />
          </span>
          <span class="funnel-value">{value}</span>
        </div>
      ))}
    </div>
  );
}

/** Messages per minute that reached each status (uPlot, drawn on a canvas). */
export function SeriesChart({ series }: { series: BroadcastReport['series'] }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!host.current || series.length === 0) return;
    const fields = ['sent', 'delivered', 'read', 'failed'] as const;
    const data: uPlot.AlignedData = [series.map(({ minute }) => Date.parse(minute) / 1000), ...fields.map((field) => series.map((point) => point[field]))];
    const chart = new uPlot(
      {
        width: Math.min(760, host.current.clientWidth || 760),
        height: 240,
        // A minute either side, so that a broadcast that fits in one minute still has a readable axis.
        scales: { x: { time: true, range: (_chart, min, max) => [min - 60, max + 60] } },
        series: [{}, ...fields.map((field) => ({ label: field, stroke: SERIES_COLOURS[field], width: 2, points: { show: true } }))],
        axes: [{}, { label: 'messages / minute' }],
      },
      data,
      host.current,
    );
    return () => chart.destroy();
  }, [series]);
  if (series.length === 0) return <p class="muted">Nothing sent yet.</p>;
  return <div class="series-chart" ref={host} />;
}
