import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countryOf } from './country-of';
import { CostEstimate, pricedCategory } from './cost-estimate';
import { MarketLookup, parseRateCard, RateCardError } from './rate-card-csv';

const HEADER = 'market,currency,marketing,utility,authentication,service,countries,effective_from';
const NIGERIA = 'Nigeria,USD,0.0500,0.0100,0.0080,0,NG,2026-10-01';
const OTHER = 'Other,USD,0.0600,0.0100,0.0300,0,,2026-10-01';

/** The problems a card is refused with (fails the test when it is accepted). */
function problemsOf(text: string): string[] {
  try {
    parseRateCard(text);
  } catch (error) {
    if (error instanceof RateCardError) return error.problems;
    throw error;
  }
  throw new Error('the card was accepted');
}

describe('parseRateCard', () => {
  it('reads the example card shipped in docs/, skipping its comment line', () => {
    const card = parseRateCard(readFileSync(join(__dirname, '../../docs/examples/rate-card.example.csv'), 'utf8'));
    expect(card.currency).toBe('USD');
    expect(card.effective_from.toISOString()).toBe('2026-10-01T00:00:00.000Z');
    expect(card.markets.map(({ market, countries }) => [market, countries])).toEqual([
      ['Nigeria', ['NG']],
      ['United Kingdom', ['GB']],
      ['Rest of Africa', ['GH', 'KE', 'ZA']],
      ['Other', []],
    ]);
    expect(card.markets[0].prices).toEqual({ marketing: 0.05, utility: 0.01, authentication: 0.008, service: 0 });
  });

  it('takes the columns in any order and without case, and quoted country lists', () => {
    const card = parseRateCard(`COUNTRIES,Market,currency,marketing,utility,authentication,service,effective_from\n"gh; ke",Rest of Africa,usd,0.03,0.005,0.015,0,2026-10-01\n,other,USD,0.06,0.01,0.03,0,2026-10-01\n`);
    expect(card.markets).toEqual([
      { market: 'Rest of Africa', countries: ['GH', 'KE'], prices: { marketing: 0.03, utility: 0.005, authentication: 0.015, service: 0 } },
      { market: 'Other', countries: [], prices: { marketing: 0.06, utility: 0.01, authentication: 0.03, service: 0 } },
    ]);
  });

  it.each([
    ['an empty file', '', 'the file is empty: expected a header line with the columns market, currency, marketing, utility, authentication, service, countries, effective_from'],
    ['a header only', `${HEADER}\n`, 'the file has a header but no market rows'],
    ['an unknown column', `${HEADER},tax\n${OTHER},1\n`, 'line 1, column 9: unknown column "tax" (expected market, currency, marketing, utility, authentication, service, countries, effective_from)'],
    ['a missing column', 'market,currency,marketing,utility,authentication,countries,effective_from\n', 'line 1: missing column(s) service'],
    ['a column twice', `${HEADER},market\n`, 'line 1, column 9: column "market" given twice'],
    ['a row of the wrong width', `${HEADER}\n${OTHER}\nNigeria,USD,0.05\n`, 'line 3: 3 column(s), expected 8'],
    ['an empty market', `${HEADER}\n${OTHER}\n,USD,0.05,0.01,0.008,0,NG,2026-10-01\n`, 'line 3, column 1 (market): empty market name'],
    ['a market twice', `${HEADER}\n${NIGERIA}\n${OTHER}\nnigeria,USD,0.05,0.01,0.008,0,GH,2026-10-01\n`, 'line 4, column 1 (market): market "nigeria" already on line 2'],
    ['a bad currency', `${HEADER}\nOther,US Dollar,0.06,0.01,0.03,0,,2026-10-01\n`, 'line 2, column 2 (currency): "US Dollar" is not a three-letter currency code'],
    ['two currencies', `${HEADER}\n${NIGERIA}\nOther,EUR,0.06,0.01,0.03,0,,2026-10-01\n`, 'line 3, column 2 (currency): EUR differs from USD on line 2 (one card, one currency)'],
    ['a negative price', `${HEADER}\nOther,USD,-0.06,0.01,0.03,0,,2026-10-01\n`, 'line 2, column 3 (marketing): "-0.06" is not a price (a number of 0 or more, e.g. 0.0250)'],
    ['a price that is not a number', `${HEADER}\nOther,USD,0.06,free,0.03,0,,2026-10-01\n`, 'line 2, column 4 (utility): "free" is not a price (a number of 0 or more, e.g. 0.0250)'],
    ['an empty price', `${HEADER}\nOther,USD,0.06,0.01,,0,,2026-10-01\n`, 'line 2, column 5 (authentication): "" is not a price (a number of 0 or more, e.g. 0.0250)'],
    ['a bad date', `${HEADER}\nOther,USD,0.06,0.01,0.03,0,,01/10/2026\n`, 'line 2, column 8 (effective_from): "01/10/2026" is not a date as YYYY-MM-DD'],
    ['an impossible date', `${HEADER}\nOther,USD,0.06,0.01,0.03,0,,2026-02-30\n`, 'line 2, column 8 (effective_from): "2026-02-30" is not a date as YYYY-MM-DD'],
    ['two effective dates', `${HEADER}\n${NIGERIA}\nOther,USD,0.06,0.01,0.03,0,,2026-11-01\n`, 'line 3, column 8 (effective_from): 2026-11-01 differs from 2026-10-01 on line 2 (one card, one effective date)'],
    ['an unknown country', `${HEADER}\nNowhere,USD,0.05,0.01,0.008,0,XX,2026-10-01\n${OTHER}\n`, 'line 2, column 7 (countries): "XX" is not an ISO 3166 country code'],
    ['a country in two markets', `${HEADER}\n${NIGERIA}\nWest Africa,USD,0.05,0.01,0.008,0,GH;NG,2026-10-01\n${OTHER}\n`, 'line 3, column 7 (countries): NG is already priced on line 2'],
    ['a market without countries', `${HEADER}\nNigeria,USD,0.05,0.01,0.008,0,,2026-10-01\n${OTHER}\n`, 'line 2, column 7 (countries): market "Nigeria" lists no country (ISO codes such as NG or "AR;BR")'],
    ['countries on the fallback', `${HEADER}\nOther,USD,0.06,0.01,0.03,0,NG,2026-10-01\n`, 'line 2, column 7 (countries): the fallback market Other lists no countries (it prices all the others)'],
    ['no fallback market', `${HEADER}\n${NIGERIA}\n`, 'no row for the market Other, which prices the countries no row lists'],
    ['a broken quote', `${HEADER}\n${OTHER}\n"Nigeria,USD,0.05,0.01,0.008,0,NG,2026-10-01\n`, 'line 3: Quote Not Closed: the parsing is finished with an opening quote at line 3'],
  ])('refuses %s, naming the line and column', (_kind, text, problem) => {
    expect(problemsOf(text)).toEqual([problem]);
  });

  it('counts lines as the file has them, past blank and comment lines', () => {
    expect(problemsOf(`# example\n${HEADER}\n\n${OTHER}\nOther,USD,0.06,0.01,0.03,0,,2026-10-01\n`)).toEqual(['line 5, column 1 (market): market "Other" already on line 4']);
  });

  it('lists every problem of a card, not only the first', () => {
    expect(problemsOf(`${HEADER}\nNigeria,usd?,x,0.01,0.008,0,NG,2026-10-01\n`)).toHaveLength(3);
  });
});

describe('market lookup', () => {
  const card = parseRateCard(`${HEADER}\n${NIGERIA}\nNorth America,USD,0.025,0.004,0.0135,0,US;CA,2026-10-01\n${OTHER}\n`);
  const lookup = new MarketLookup(card.markets);

  it.each([
    ['2348031000001', 'NG', 'Nigeria'],
    ['12025550123', 'US', 'North America'],
    ['14165550123', 'CA', 'North America'],
    ['442071838750', 'GB', 'Other'],
  ])('puts %s in %s, market %s', (number, country, market) => {
    expect(countryOf(number)).toBe(country);
    expect(lookup.marketOf(countryOf(number))).toBe(market);
  });

  it('puts a number whose country libphonenumber cannot tell in Other', () => {
    expect(countryOf('999123')).toBeUndefined();
    expect(lookup.marketOf(countryOf('999123'))).toBe('Other');
  });
});

describe('CostEstimate', () => {
  const card = parseRateCard(`${HEADER}\n${NIGERIA}\n${OTHER}\n`);

  it('prices marketing inside and outside the window alike, by market', () => {
    const estimate = new CostEstimate(card, pricedCategory('MARKETING', false));
    for (const inside of [true, false, false]) estimate.add('NG', inside);
    estimate.add('GB', true);
    expect(estimate.result()).toEqual({
      currency: 'USD',
      rate_card_effective_from: '2026-10-01',
      category: 'marketing',
      category_source: 'template',
      estimated_total: 0.21,
      by_category: { marketing: { messages: 4, free: 0, amount: 0.21 } },
      by_market: { Nigeria: { messages: 3, free: 0, amount: 0.15 }, Other: { messages: 1, free: 0, amount: 0.06 } },
    });
  });

  it('makes utility inside the window free', () => {
    const estimate = new CostEstimate(card, pricedCategory('utility', false));
    for (const inside of [true, true, false]) estimate.add('NG', inside);
    expect(estimate.result()).toMatchObject({ estimated_total: 0.01, by_category: { utility: { messages: 3, free: 2, amount: 0.01 } } });
  });

  it('prices free-form as service, and a template of unknown category as marketing, saying so', () => {
    expect(pricedCategory(null, true)).toEqual({ category: 'service', source: 'free_form' });
    expect(pricedCategory(undefined, false)).toEqual({ category: 'marketing', source: 'assumed_marketing' });
    expect(pricedCategory('AUTHENTICATION', false)).toEqual({ category: 'authentication', source: 'template' });
  });

  it('has no lines when nothing will be sent', () => {
    expect(new CostEstimate(card, pricedCategory('MARKETING', false)).result()).toMatchObject({ estimated_total: 0, by_category: {}, by_market: {} });
  });
});
