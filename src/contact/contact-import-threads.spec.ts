import { Types } from 'mongoose';
import type { AppConfig } from '../config';
import { ContactImportThreads } from './contact-import-threads';
import type { ContactImportRepository } from './contact-import.repository';
import type { ContactImportJob } from './contact-importer';

/** The turn-taking of import threads, with the threads themselves stood in for (each ends when the test says). */
describe('ContactImportThreads: at most CONTACT_IMPORT_THREADS at once', () => {
  const job = (): ContactImportJob => ({ clientId: new Types.ObjectId().toHexString(), importId: new Types.ObjectId().toHexString(), path: '/nonexistent/upload.csv', columns: [] });
  let imports: jest.Mocked<Pick<ContactImportRepository, 'markQueued' | 'markRunning' | 'touchQueued' | 'failIfRunning'>>;
  let threads: ContactImportThreads;
  /** The imports whose thread started, in order, each with the function that ends it. */
  let started: Array<{ importId: string; end: () => void }>;

  beforeEach(() => {
    imports = { markQueued: jest.fn().mockResolvedValue(undefined), markRunning: jest.fn().mockResolvedValue(undefined), touchQueued: jest.fn(), failIfRunning: jest.fn().mockResolvedValue(undefined) };
    threads = new ContactImportThreads({ contacts: { importHeapMb: 64, importThreads: 2 } } as AppConfig, imports as unknown as ContactImportRepository);
    started = [];
    jest.spyOn(threads as unknown as { start(job: ContactImportJob): Promise<void> }, 'start').mockImplementation(
      (running: ContactImportJob) => new Promise<void>((end) => started.push({ importId: running.importId, end })),
    );
  });

  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('starts two at once, queues the third, and starts it when one ends', async () => {
    const [a, b, c] = [job(), job(), job()];
    const runs = [a, b, c].map((each) => threads.run(each));
    await settle();
    expect(started.map(({ importId }) => importId)).toEqual([a.importId, b.importId]);
    expect(imports.markQueued).toHaveBeenCalledWith(new Types.ObjectId(c.importId));

    started[1].end();
    await settle();
    expect(started.map(({ importId }) => importId)).toEqual([a.importId, b.importId, c.importId]);
    expect(imports.markRunning).toHaveBeenCalledWith(new Types.ObjectId(c.importId));

    started[0].end();
    started[2].end();
    await Promise.all(runs);
    // Both threads are free again: two more start at once.
    void threads.run(job());
    void threads.run(job());
    await settle();
    expect(started).toHaveLength(5);
    expect(imports.markQueued).toHaveBeenCalledTimes(1);
  });

  it('fails the imports still waiting when the API stops, and starts none of them', async () => {
    const [a, b, c] = [job(), job(), job()];
    const runs = [a, b, c].map((each) => threads.run(each));
    await settle();
    const stopping = threads.onModuleDestroy();
    started.forEach(({ end }) => end());
    await stopping;
    await Promise.all(runs);
    expect(started).toHaveLength(2);
    expect(imports.failIfRunning).toHaveBeenCalledWith(new Types.ObjectId(c.importId), expect.stringMatching(/^the API process stopped during the import/));
  });
});
