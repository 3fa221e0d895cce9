export default async function globalTeardown(): Promise<void> {
  await globalThis.__TEST_MONGO__?.stop();
  await globalThis.__TEST_REDIS__?.stop();
}
