export * from './app-config';
export * from './config.module';
export * from './env-file';
export * from './environment';
export * from './load-config';
export * from './redis-topology';
