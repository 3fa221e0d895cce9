import { buildBroadcastReport, deliveryRanks, failureTitle, ReportInputs } from './broadcast-report';

const at = (seconds: number) => new Date(Date.UTC(2026, 11, 7, 10, 0, seconds));

function inputs(overrides: Partial<ReportInputs> = {}): ReportInputs {
  return {
    broadcastId: '64ac509d05a7cc2b8c2bd9ab',
    status: 'sending',
    arrays: { recipients: 10, pending: 4, sent: 5, failed: 1 },
    ledger: {
      totals: { sent: 6, delivered: 6, read: 7, replied: 9, failed: 1, billedUsdCents: 3.004, firstSentAt: at(0), lastSentAt: at(50) },
      failures: [{ code: 'opted_out', message: 'The recipient opted out', count: 1 }],
      unpricedByCategory: [
        { category: 'marketing', count: 2 },
        { category: 'utility', count: 1 },
        { category: null, count: 3 },
      ],
      series: [
        { minute: at(60), field: 'delivered', count: 2 },
        { minute: at(0), field: 'sent', count: 5 },
        { minute: at(0), field: 'delivered', count: 1 },
      ],
    },
    storedFailures: [],
    deliveryTimes: [at(12), null],
    prices: { marketing: 6.04, utility: 0.77 },
    plannedCost: null,
    now: at(120),
    ...overrides,
  };
}

describe('buildBroadcastReport', () => {
  it("holds the ledger's figures to read ≤ delivered ≤ sent and replied ≤ sent, sent being the broadcast's own (the ledger may be ahead)", () => {
    const report = buildBroadcastReport(inputs());
    expect(report).toMatchObject({ recipients: 10, pending: 4, sent: 5, failed: 1, delivered: 5, read: 5, replied: 5 });
  });

  it('estimates the cost as billed plus the rate of each unpriced message of a priced category (service messages are free)', () => {
    expect(buildBroadcastReport(inputs()).cost).toEqual({ billed_usd_cents: 3, estimated_usd_cents: 3 + 2 * 6.04 + 0.77, planned: null });
    expect(buildBroadcastReport(inputs({ prices: {} })).cost).toEqual({ billed_usd_cents: 3, estimated_usd_cents: 3, planned: null });
  });

  it("shows the plan's rate-card estimate beside the billed figures", () => {
    const plannedCost = {
      currency: 'USD',
      rate_card_effective_from: '2026-10-01',
      category: 'utility' as const,
      category_source: 'template' as const,
      estimated_total: 0.03,
      by_category: { utility: { messages: 5, free: 2, amount: 0.03 } },
      by_market: { Nigeria: { messages: 5, free: 2, amount: 0.03 } },
    };
    expect(buildBroadcastReport(inputs({ plannedCost })).cost).toEqual({
      billed_usd_cents: 3,
      estimated_usd_cents: 3 + 2 * 6.04 + 0.77,
      planned: { currency: 'USD', rate_card_effective_from: '2026-10-01', category: 'utility', estimated_total: 0.03, by_market: { Nigeria: { messages: 5, free: 2, amount: 0.03 } } },
    });
  });

  it("merges reasons refused at creation with failed sends, titled, most frequent first, and counts opt-outs (ours and Meta's 131050)", () => {
    const report = buildBroadcastReport(
      inputs({
        storedFailures: [
          { code: 'invalid_number', message: 'not a number', count: 3 },
          { code: 'opted_out', message: 'opted out at creation', count: 1 },
        ],
        ledger: { ...inputs().ledger, failures: [...inputs().ledger.failures, { code: '131050', message: null, count: 2 }] },
      }),
    );
    expect(report.failures).toEqual([
      { code: 'invalid_number', title: 'Invalid phone number', message: 'not a number', count: 3 },
      { code: '131050', title: 'User stopped marketing messages', message: null, count: 2 },
      { code: 'opted_out', title: 'Opted out', message: 'opted out at creation', count: 2 },
    ]);
    expect(report.opted_out).toBe(4);
  });

  it('gives one series point per minute, oldest first, and delivery times in seconds after the first send', () => {
    const report = buildBroadcastReport(inputs());
    expect(report.series).toEqual([
      { minute: at(0).toISOString(), sent: 5, delivered: 1, read: 0, failed: 0 },
      { minute: at(60).toISOString(), sent: 0, delivered: 2, read: 0, failed: 0 },
    ]);
    expect(report.time_to_delivered).toEqual({ p50_seconds: 12, p90_seconds: null });
  });

  it("takes the recipients waiting for the messaging limit from the broadcast's counts when it has them, else 0", () => {
    expect(buildBroadcastReport(inputs()).waiting_for_limit).toBe(0);
    expect(buildBroadcastReport(inputs({ arrays: { recipients: 10, pending: 4, sent: 5, failed: 1, waiting_for_limit: 3 } })).waiting_for_limit).toBe(3);
  });

  it('asks for the deliveries that make 50% and 90% of the sent messages (none when nothing was sent)', () => {
    expect(deliveryRanks(5)).toEqual([3, 5]);
    expect(deliveryRanks(0)).toEqual([0, 0]);
    expect(failureTitle('131026')).toBe('Message undeliverable');
    expect(failureTitle('some_new_code')).toBe('some_new_code');
  });
});
