import { measureCsvUpload, TARGET_GROWTH_MB } from '../bench/broadcast-csv';
import { describeWithMongo, isolatedMongoUri } from './support/mongo';

/**
 * Issue 12: a 100,000-row CSV recipient list is accepted within the memory bound of an
 * attachment upload. The API runs in its own process (as bench/broadcast-csv.ts runs it), so
 * that its resident memory is the upload's alone, not the test runner's.
 */
describeWithMongo('POST /broadcast/csv memory (e2e, the API in its own process, real Redis and MongoDB)', () => {
  it(`grows the API process by less than ${TARGET_GROWTH_MB} MB for 100,000 rows with variables`, async () => {
    const report = await measureCsvUpload({ rows: 100_000, mongoUri: isolatedMongoUri(), redisUrl: process.env.REDIS_URL as string });
    process.stdout.write(`100,000-row CSV upload: ${JSON.stringify(report)}\n`);
    expect(report).toMatchObject({ status: 201, pending: 100_000 });
    expect(report.peakGrowthMb).toBeLessThan(TARGET_GROWTH_MB);
  }, 300_000);
});
