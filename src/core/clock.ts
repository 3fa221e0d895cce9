import { Global, Injectable, Module } from '@nestjs/common';

/**
 * The time as the services see it, injected so that tests can move it (key and secret grace
 * periods) without waiting days or faking every timer of the process.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}

@Global()
@Module({ providers: [Clock], exports: [Clock] })
export class ClockModule {}
