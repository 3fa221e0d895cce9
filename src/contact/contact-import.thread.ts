import { ConnectOptions, createConnection } from 'mongoose';
import { inspect } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import { ContactImportRepository } from './contact-import.repository';
import { ContactImport, ContactImportSchema } from './contact-import.schema';
import { ContactImporter, ContactImportJob } from './contact-importer';
import { ContactRepository } from './contact.repository';
import { Contact, ContactSchema } from './contact.schema';

/**
 * The body of an import thread (started by ContactImportThreads): one background import, on a
 * MongoDB connection of its own, in a V8 heap of its own whose limit makes it collect its garbage
 * early. The thread finishes the import's record itself; it posts how it ended and exits.
 */

/** What the thread is started with. */
export interface ImportThreadData {
  job: ContactImportJob;
  mongo: { uri: string; options: ConnectOptions };
}

/** The thread's one message: the import is finished, and the unexpected error it stopped on, if any (for the API's log). */
export interface ImportThreadEnd {
  internalError: { message: string; stack?: string } | null;
}

async function importInThread({ job, mongo }: ImportThreadData): Promise<void> {
  const connection = await createConnection(mongo.uri, mongo.options).asPromise();
  try {
    const importer = new ContactImporter(
      new ContactRepository(connection.model(Contact.name, ContactSchema)),
      new ContactImportRepository(connection.model(ContactImport.name, ContactImportSchema)),
    );
    const { internalError } = await importer.run(job);
    const end: ImportThreadEnd = {
      internalError: internalError === null ? null : internalError instanceof Error ? { message: internalError.message, stack: internalError.stack } : { message: inspect(internalError) },
    };
    parentPort!.postMessage(end);
  } finally {
    await connection.close();
  }
}

// An error here (MongoDB unreachable) ends the thread with an 'error' event that ContactImportThreads records.
void importInThread(workerData as ImportThreadData);
