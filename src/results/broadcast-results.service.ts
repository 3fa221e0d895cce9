import { Injectable, NotFoundException } from '@nestjs/common';
import { BroadcastRecipientListRepository } from '../broadcast/broadcast-recipient-list.repository';
import { BroadcastRepository } from '../broadcast/broadcast.repository';
import { AppConfig } from '../config';
import { BroadcastResultsRepository } from '../message-log/broadcast-results.repository';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { BroadcastReport, buildBroadcastReport, deliveryRanks } from './broadcast-report';

/** A broadcast's results: its report (the funnel, failures, cost, timing, per-minute series). */
@Injectable()
export class BroadcastResultsService {
  constructor(
    private readonly broadcasts: BroadcastRepository,
    private readonly recipientLists: BroadcastRecipientListRepository,
    private readonly results: BroadcastResultsRepository,
    private readonly messageLogs: MessageLogRepository,
    private readonly config: AppConfig,
  ) {}

  /** GET /broadcast/:id/report: a few aggregations over the broadcast's ledger entries, found by index. 404 when not the client's. */
  async report(clientId: string, id: string): Promise<BroadcastReport> {
    const summary = await this.broadcasts.findOwnedSummary(clientId, id);
    if (!summary) throw new NotFoundException(`Broadcast ${id} not found`);
    const [ledger, storedFailures, counted] = await Promise.all([
      this.results.resultsOf(clientId, id),
      this.recipientLists.storedFailureCounts(clientId, id),
      this.messageLogs.deliveryCountsOfBroadcasts(clientId, [id]),
    ]);
    // Recipients held back by the messaging limit are among the pending.
    const waiting = Math.min(counted.get(id)?.waiting ?? 0, summary.counts.pending);
    const deliveryTimes = await Promise.all(deliveryRanks(summary.counts.sent).map((rank) => this.results.nthDeliveryAt(clientId, id, rank)));
    return buildBroadcastReport({
      broadcastId: id,
      status: summary.status,
      arrays: { ...summary.counts, waiting_for_limit: waiting },
      ledger,
      storedFailures,
      deliveryTimes,
      prices: this.config.cloudApi.pricesUsdCents,
      plannedCost: summary.plan?.cost ?? null,
      now: new Date(),
    });
  }

  /** 404 unless the broadcast is the client's (before an export starts its stream). */
  async requireOwned(clientId: string, id: string): Promise<void> {
    if (!(await this.broadcasts.findOwnedSummary(clientId, id))) throw new NotFoundException(`Broadcast ${id} not found`);
  }
}
