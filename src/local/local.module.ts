import { DynamicModule, Module } from '@nestjs/common';
import { API_FEATURES, HTTP_PIPELINE } from '../api.module';
import { AppConfig } from '../config';
import { CoreModule } from '../core/core.module';
import { WORKER_FEATURES } from '../worker.module';

/** API and worker in one process, for local development and the e2e suites. */
@Module({})
export class LocalModule {
  static forRoot(config: AppConfig, options: { worker?: boolean } = {}): DynamicModule {
    return {
      module: LocalModule,
      imports: [CoreModule.forRoot(config, 'api'), ...API_FEATURES, ...(options.worker === false ? [] : WORKER_FEATURES)],
      providers: HTTP_PIPELINE,
    };
  }
}
