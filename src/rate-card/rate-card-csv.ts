import { CsvError, parse } from 'csv-parse/sync';
import { getCountries } from 'libphonenumber-js/max';
import type { CountryCode } from 'libphonenumber-js/max';

/** Meta's pricing categories, the card's price columns. */
export const RATE_CATEGORIES = ['marketing', 'utility', 'authentication', 'service'] as const;
export type RateCategory = (typeof RATE_CATEGORIES)[number];

/** The market of numbers whose country no row lists. */
export const FALLBACK_MARKET = 'Other';

/** The columns a card must have (compared without case); any other column is refused. */
export const RATE_CARD_COLUMNS = ['market', 'currency', ...RATE_CATEGORIES, 'countries', 'effective_from'] as const;
type RateCardColumn = (typeof RATE_CARD_COLUMNS)[number];

/** A rate card file larger than this is refused (Meta's card has a few dozen markets). */
export const MAX_RATE_CARD_BYTES = 1024 * 1024;

export interface RateCardMarket {
  market: string;
  /** ISO 3166-1 alpha-2 codes of the countries priced at this market (none for the fallback `Other`). */
  countries: string[];
  /** Price of one message, in the card's currency (not cents). */
  prices: Record<RateCategory, number>;
}

/** A rate card as read from its CSV: one currency and one effective date for all its markets. */
export interface ParsedRateCard {
  currency: string;
  effective_from: Date;
  markets: RateCardMarket[];
}

/** A card refused: every problem found, each naming its line and column. Nothing is loaded from it. */
export class RateCardError extends Error {
  constructor(readonly problems: string[]) {
    super(`The rate card is invalid and nothing was loaded (${problems.length} problem${problems.length === 1 ? '' : 's'}):`);
  }
}

const KNOWN_COUNTRIES = new Set<string>(getCountries());
const CURRENCY = /^[A-Z]{3}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const PRICE = /^\d+(\.\d+)?$/;

/**
 * Reads a rate card CSV: a header with RATE_CARD_COLUMNS (any order), then one row per market.
 * `countries` lists ISO codes separated by spaces or semicolons; a row named `Other` prices
 * every country no row lists and is required. Throws RateCardError with every problem found.
 */
export function parseRateCard(text: string): ParsedRateCard {
  if (Buffer.byteLength(text) > MAX_RATE_CARD_BYTES) throw new RateCardError([`the file is larger than ${MAX_RATE_CARD_BYTES} bytes`]);
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    // Lines starting with # are comments (the sample card says it is an example); `info` keeps each row's line.
    records = parse(text.replace(/^\uFEFF/, ''), { skip_empty_lines: true, trim: true, relax_column_count: true, comment: '#', comment_no_infix: true, info: true }) as unknown as typeof records; // the sync typings do not model `info`
  } catch (error) {
    if (error instanceof CsvError) throw new RateCardError([`line ${String(error.lines)}: ${error.message}`]);
    throw error;
  }
  const rows = records.map(({ record }) => record);
  if (rows.length === 0) throw new RateCardError(['the file is empty: expected a header line with the columns ' + RATE_CARD_COLUMNS.join(', ')]);
  const problems: string[] = [];
  const headerLine = records[0].info.lines;
  const header = rows[0].map((name) => name.toLowerCase());
  const position = new Map<RateCardColumn, number>();
  header.forEach((name, index) => {
    if (!(RATE_CARD_COLUMNS as readonly string[]).includes(name)) problems.push(`line ${headerLine}, column ${index + 1}: unknown column "${rows[0][index]}" (expected ${RATE_CARD_COLUMNS.join(', ')})`);
    else if (position.has(name as RateCardColumn)) problems.push(`line ${headerLine}, column ${index + 1}: column "${name}" given twice`);
    else position.set(name as RateCardColumn, index);
  });
  const missing = RATE_CARD_COLUMNS.filter((name) => !position.has(name));
  if (missing.length > 0) problems.push(`line ${headerLine}: missing column(s) ${missing.join(', ')}`);
  if (problems.length > 0) throw new RateCardError(problems);
  if (rows.length === 1) throw new RateCardError(['the file has a header but no market rows']);

  const markets: RateCardMarket[] = [];
  const marketLines = new Map<string, number>();
  const countryLines = new Map<string, number>();
  let currency: { value: string; line: number } | undefined;
  let effective: { value: string; line: number } | undefined;
  rows.slice(1).forEach((row, index) => {
    const line = records[index + 1].info.lines;
    if (row.length !== header.length) {
      problems.push(`line ${line}: ${row.length} column(s), expected ${header.length}`);
      return;
    }
    const at = (column: RateCardColumn) => `line ${line}, column ${position.get(column)! + 1} (${column})`;
    const cell = (column: RateCardColumn) => row[position.get(column)!];
    const market = cell('market');
    if (!market) problems.push(`${at('market')}: empty market name`);
    else if (marketLines.has(market.toLowerCase())) problems.push(`${at('market')}: market "${market}" already on line ${marketLines.get(market.toLowerCase())}`);
    else marketLines.set(market.toLowerCase(), line);

    const rowCurrency = cell('currency').toUpperCase();
    if (!CURRENCY.test(rowCurrency)) problems.push(`${at('currency')}: "${cell('currency')}" is not a three-letter currency code`);
    else if (!currency) currency = { value: rowCurrency, line };
    else if (currency.value !== rowCurrency) problems.push(`${at('currency')}: ${rowCurrency} differs from ${currency.value} on line ${currency.line} (one card, one currency)`);

    const rowEffective = cell('effective_from');
    if (!DATE.test(rowEffective) || Number.isNaN(Date.parse(`${rowEffective}T00:00:00Z`)) || new Date(`${rowEffective}T00:00:00Z`).toISOString().slice(0, 10) !== rowEffective) {
      problems.push(`${at('effective_from')}: "${rowEffective}" is not a date as YYYY-MM-DD`);
    } else if (!effective) effective = { value: rowEffective, line };
    else if (effective.value !== rowEffective) problems.push(`${at('effective_from')}: ${rowEffective} differs from ${effective.value} on line ${effective.line} (one card, one effective date)`);

    const prices = {} as Record<RateCategory, number>;
    for (const category of RATE_CATEGORIES) {
      const value = cell(category);
      if (!PRICE.test(value)) problems.push(`${at(category)}: "${value}" is not a price (a number of 0 or more, e.g. 0.0250)`);
      else prices[category] = Number(value);
    }

    const countries = cell('countries').split(/[\s;]+/).filter(Boolean).map((code) => code.toUpperCase());
    const isFallback = market.toLowerCase() === FALLBACK_MARKET.toLowerCase();
    if (isFallback && countries.length > 0) problems.push(`${at('countries')}: the fallback market ${FALLBACK_MARKET} lists no countries (it prices all the others)`);
    if (!isFallback && market && countries.length === 0) problems.push(`${at('countries')}: market "${market}" lists no country (ISO codes such as NG or "AR;BR")`);
    for (const code of countries) {
      if (!KNOWN_COUNTRIES.has(code)) problems.push(`${at('countries')}: "${code}" is not an ISO 3166 country code`);
      else if (countryLines.has(code)) problems.push(`${at('countries')}: ${code} is already priced on line ${countryLines.get(code)}`);
      else countryLines.set(code, line);
    }
    markets.push({ market: isFallback ? FALLBACK_MARKET : market, countries, prices });
  });
  if (!marketLines.has(FALLBACK_MARKET.toLowerCase())) problems.push(`no row for the market ${FALLBACK_MARKET}, which prices the countries no row lists`);
  if (problems.length > 0 || !currency || !effective) throw new RateCardError(problems);
  return { currency: currency.value, effective_from: new Date(`${effective.value}T00:00:00Z`), markets };
}

/** Looks a recipient's market up: by the country of its number, else the fallback. */
export class MarketLookup {
  private readonly byCountry = new Map<string, string>();

  constructor(markets: readonly RateCardMarket[]) {
    for (const { market, countries } of markets) for (const country of countries) this.byCountry.set(country, market);
  }

  marketOf(country: CountryCode | undefined): string {
    return (country && this.byCountry.get(country)) || FALLBACK_MARKET;
  }
}
