import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { rm } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Types } from 'mongoose';
import { AppConfig } from '../config';
import { mongoConnectionOptions } from '../core/mongo-options';
import { ContactImportRepository } from './contact-import.repository';
import type { ImportThreadData, ImportThreadEnd } from './contact-import.thread';
import { ContactImportJob, INTERNAL_IMPORT_ERROR } from './contact-importer';

/**
 * The thread's young generation, MB. Small, so that its scavenges come often and a batch's
 * short-lived objects are collected young rather than promoted while the batch waits on MongoDB.
 */
const THREAD_YOUNG_GENERATION_MB = 8;
/** The thread's MongoDB connections: an import has one batch in flight, and writes its progress between batches. */
const THREAD_POOL_SIZE = 2;
/**
 * Run from source (the tests, `npm run cli`), the thread compiles its own TypeScript with ts-node,
 * whose compiler holds about 24 MB of the thread's heap: added to the limit so that the import has
 * the room it has compiled.
 */
const TS_NODE_HEAP_MB = 32;

const FROM_SOURCE = extname(__filename) === '.ts';
const THREAD_ENTRY = join(__dirname, `contact-import.thread${extname(__filename)}`);
/** How the thread loads TypeScript from source, as `npm run cli` does (compiled, it inherits the process's own flags). */
const SOURCE_LOADERS = ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'];
const SOURCE_TSCONFIG = resolve(__dirname, '..', '..', 'tsconfig.json');

const STOPPED_WITH_API = 'the API process stopped during the import; import the file again (rows already imported are unchanged)';
/** How often the records of imports waiting for a thread are touched: well within IMPORT_STALE_AFTER_MS. */
const QUEUED_HEARTBEAT_MS = 30_000;

/** An import waiting for a thread, and how to hand it one. */
interface Waiting {
  job: ContactImportJob;
  take: () => void;
}

/**
 * Runs each background import (a file over INLINE_IMPORT_MAX_BYTES) in a worker thread of its own
 * (contact-import.thread.ts), with its own MongoDB connection and a V8 heap limited to
 * CONTACT_IMPORT_HEAP_MB. An import allocates about 21 KB of garbage a row; in the API's own heap,
 * which V8 lets grow to about four times its live size before a full collection, a million rows
 * peaked 150 to 250 MB above the idle API. The thread's small heap is collected near its limit, so
 * the import's memory stays within that limit whatever the file's size (bench/contact-import.ts).
 * A thread that ends without finishing its import (out of memory, crashed, or stopped with the API)
 * has its import marked failed with the reason, and its uploaded file removed. At most
 * CONTACT_IMPORT_THREADS run at once; later imports wait in order, `queued`, their records touched
 * every 30 s so that they do not read as interrupted.
 */
@Injectable()
export class ContactImportThreads implements OnModuleDestroy {
  private readonly logger = new Logger(ContactImportThreads.name);
  /** Running threads, each with the promise that settles once it has exited and its import is finished. */
  private readonly running = new Map<Worker, Promise<void>>();
  /** Threads started or handed to a waiting import, at most CONTACT_IMPORT_THREADS. */
  private inUse = 0;
  private readonly waiting: Waiting[] = [];
  private heartbeat?: NodeJS.Timeout;
  private stopping = false;

  constructor(
    private readonly config: AppConfig,
    private readonly imports: ContactImportRepository,
  ) {}

  /** Runs the import in a thread once one is free; settles (never rejects) once the import is finished. */
  async run(job: ContactImportJob): Promise<void> {
    if (this.inUse < this.config.contacts.importThreads) this.inUse++;
    // Stopped while it waited: onModuleDestroy marked it failed.
    else if (!(await this.waitForThread(job))) return;
    try {
      await this.start(job);
    } finally {
      this.handOver();
    }
  }

  /** Answers once a thread is handed to the import (true), or the API stops first (false). */
  private async waitForThread(job: ContactImportJob): Promise<boolean> {
    const handedOver = new Promise<void>((take) => this.waiting.push({ job, take }));
    this.heartbeat ??= setInterval(() => this.touchWaiting(), QUEUED_HEARTBEAT_MS).unref();
    const id = new Types.ObjectId(job.importId);
    // Awaited before the turn is: a thread handed over meanwhile marks it running only after this.
    await this.imports.markQueued(id).catch((error: unknown) => this.logger.warn({ err: error, importId: job.importId }, 'Could not mark a contact import queued'));
    await handedOver;
    if (this.stopping) return false;
    await this.imports.markRunning(id).catch((error: unknown) => this.logger.warn({ err: error, importId: job.importId }, 'Could not mark a contact import running'));
    return true;
  }

  /** A thread ended: the next waiting import takes it, or it is free. */
  private handOver(): void {
    const next = this.waiting.shift();
    if (next) next.take();
    else this.inUse--;
    if (this.waiting.length === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  private touchWaiting(): void {
    const ids = this.waiting.map(({ job }) => new Types.ObjectId(job.importId));
    this.imports.touchQueued(ids).catch((error: unknown) => this.logger.warn({ err: error }, 'Could not touch the queued contact imports'));
  }

  /** Starts the import's thread; settles (never rejects) once the thread has exited and the import is finished. */
  private start(job: ContactImportJob): Promise<void> {
    const heapMb = this.config.contacts.importHeapMb;
    const data: ImportThreadData = {
      job,
      mongo: { uri: this.config.mongo.uri, options: { ...mongoConnectionOptions(this.config), autoIndex: false, autoCreate: false, maxPoolSize: THREAD_POOL_SIZE } },
    };
    let thread: Worker;
    try {
      thread = new Worker(THREAD_ENTRY, {
        workerData: data,
        resourceLimits: { maxOldGenerationSizeMb: heapMb + (FROM_SOURCE ? TS_NODE_HEAP_MB : 0), maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB },
        ...(FROM_SOURCE ? { execArgv: SOURCE_LOADERS, env: { ...process.env, TS_NODE_PROJECT: process.env.TS_NODE_PROJECT ?? SOURCE_TSCONFIG } } : {}),
      });
    } catch (error) {
      this.logger.error({ err: error, importId: job.importId }, 'Contact import thread did not start');
      return this.fail(job, INTERNAL_IMPORT_ERROR);
    }
    let finished = false;
    let failure: string | null = null;
    thread.on('message', ({ internalError }: ImportThreadEnd) => {
      finished = true;
      if (internalError) this.logger.error({ err: internalError, importId: job.importId }, 'Contact import stopped');
    });
    thread.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        failure = `the import ran out of memory: its thread may use ${heapMb} MB (CONTACT_IMPORT_HEAP_MB); the rows imported before it stopped are kept`;
        this.logger.warn({ importId: job.importId, heapMb }, 'Contact import ran out of memory');
      } else {
        failure = INTERNAL_IMPORT_ERROR;
        this.logger.error({ err: error, importId: job.importId }, 'Contact import thread failed');
      }
    });
    const ended = new Promise<void>((resolve) =>
      thread.once('exit', () => {
        this.running.delete(thread);
        if (finished) return resolve();
        void this.fail(job, failure ?? (this.stopping ? STOPPED_WITH_API : INTERNAL_IMPORT_ERROR)).then(resolve);
      }),
    );
    this.running.set(thread, ended);
    return ended;
  }

  /** Marks the import failed for this reason (unless the thread finished it after all) and removes its file, which the thread did not. */
  private async fail(job: ContactImportJob, reason: string): Promise<void> {
    try {
      await this.imports.failIfRunning(new Types.ObjectId(job.importId), reason);
      await rm(job.path, { force: true });
    } catch (error) {
      this.logger.error({ err: error, importId: job.importId }, 'Contact import: its failure could not be recorded');
    }
  }

  /** Stops the running imports' threads before the MongoDB connection closes, and marks their imports (and the waiting ones) failed. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    const waiting = this.waiting.splice(0);
    await Promise.all(waiting.map(({ job }) => this.fail(job, STOPPED_WITH_API)));
    for (const { take } of waiting) take();
    const ending = [...this.running.values()];
    await Promise.all([...this.running.keys()].map((thread) => thread.terminate()));
    await Promise.all(ending);
  }
}
