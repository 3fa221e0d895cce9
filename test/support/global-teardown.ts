export default async function globalTeardown(): Promise<void> {
  // Every project that ran calls this; the first stops what the setups started.
  await globalThis.__TEST_MONGO__?.stop();
  await globalThis.__TEST_REDIS__?.stop();
  globalThis.__TEST_MONGO__ = globalThis.__TEST_REDIS__ = undefined;
}
