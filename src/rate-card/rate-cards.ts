import { Injectable } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { RateCardPricing } from './cost-estimate';
import { parseRateCard } from './rate-card-csv';
import { RateCardRepository } from './rate-card.repository';
import type { RateCardRecord } from './rate-card.schema';

/** What loading a card answers (the CLI prints it). */
export interface LoadedRateCard {
  id: string;
  currency: string;
  effective_from: string;
  markets: number;
  source: string;
}

/** The operator's rate cards: loaded from Meta's published card as CSV, read by plans. */
@Injectable()
export class RateCards {
  constructor(private readonly cards: RateCardRepository) {}

  /** Reads, checks and stores a card file; a bad file throws RateCardError (or the read's error) and stores nothing. */
  async loadFile(path: string): Promise<LoadedRateCard> {
    const card = parseRateCard(await readFile(path, 'utf8'));
    const stored = await this.cards.insert(card, basename(path));
    return summary(stored);
  }

  /** The card in force at `at`, or null when none is loaded (or none is effective yet). */
  inForce(at: Date): Promise<RateCardPricing | null> {
    return this.cards.current(at);
  }
}

function summary(card: RateCardRecord): LoadedRateCard {
  return { id: card._id.toHexString(), currency: card.currency, effective_from: card.effective_from.toISOString().slice(0, 10), markets: card.markets.length, source: card.source };
}
