import type { CountryCode } from 'libphonenumber-js/max';
import { MarketLookup, RATE_CATEGORIES, RateCardMarket, RateCategory } from './rate-card-csv';

/** Where the priced category came from: the template's (as the catalogue has it), free-form (service), or assumed. */
export type CostCategorySource = 'template' | 'free_form' | 'assumed_marketing';

export interface CostLine {
  /** Messages priced on this line. */
  messages: number;
  /** Of them, free (utility or service inside the customer-service window). */
  free: number;
  /** Their price, in the card's currency. */
  amount: number;
}

/** The estimated cost of a plan's messages at the rate card in force. */
export interface PlanCost {
  currency: string;
  /** The card's effective date (YYYY-MM-DD). */
  rate_card_effective_from: string;
  category: RateCategory;
  category_source: CostCategorySource;
  estimated_total: number;
  by_category: Partial<Record<RateCategory, CostLine>>;
  by_market: Record<string, CostLine>;
}

/** The card a plan prices with. */
export interface RateCardPricing {
  currency: string;
  effective_from: Date;
  markets: readonly RateCardMarket[];
}

/** The category a message is priced at: its template's, service for free-form, else marketing (the dearest, said so). */
export function pricedCategory(templateCategory: string | null | undefined, freeForm: boolean): { category: RateCategory; source: CostCategorySource } {
  const named = templateCategory?.toLowerCase();
  if (named && (RATE_CATEGORIES as readonly string[]).includes(named)) return { category: named as RateCategory, source: 'template' };
  if (freeForm) return { category: 'service', source: 'free_form' };
  return { category: 'marketing', source: 'assumed_marketing' };
}

/** Utility and service messages inside the customer-service window are free (Meta's pricing). */
const FREE_INSIDE_WINDOW: readonly RateCategory[] = ['utility', 'service'];

/**
 * Counts the messages of a plan by market and window, then prices them (counts times the
 * card's price, so a total is exact to the card's decimals, not a sum of float increments).
 */
export class CostEstimate {
  private readonly lookup: MarketLookup;
  private readonly prices: Map<string, number>;
  private readonly counts = new Map<string, { messages: number; free: number }>();

  constructor(
    private readonly card: RateCardPricing,
    private readonly priced: { category: RateCategory; source: CostCategorySource },
  ) {
    this.lookup = new MarketLookup(card.markets);
    this.prices = new Map(card.markets.map(({ market, prices }) => [market, prices[priced.category]]));
  }

  add(country: CountryCode | undefined, insideWindow: boolean): void {
    const market = this.lookup.marketOf(country);
    const count = this.counts.get(market) ?? { messages: 0, free: 0 };
    count.messages++;
    if (insideWindow && FREE_INSIDE_WINDOW.includes(this.priced.category)) count.free++;
    this.counts.set(market, count);
  }

  result(): PlanCost {
    const byMarket: Record<string, CostLine> = {};
    const all: CostLine = { messages: 0, free: 0, amount: 0 };
    for (const [market, { messages, free }] of [...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const amount = roundPrice((messages - free) * (this.prices.get(market) ?? 0));
      byMarket[market] = { messages, free, amount };
      all.messages += messages;
      all.free += free;
      all.amount = roundPrice(all.amount + amount);
    }
    return {
      currency: this.card.currency,
      rate_card_effective_from: this.card.effective_from.toISOString().slice(0, 10),
      category: this.priced.category,
      category_source: this.priced.source,
      estimated_total: all.amount,
      by_category: all.messages > 0 ? { [this.priced.category]: all } : {},
      by_market: byMarket,
    };
  }
}

/** Six decimals: the card's prices have four, so this only drops float noise. */
function roundPrice(amount: number): number {
  return Math.round(amount * 1e6) / 1e6;
}
