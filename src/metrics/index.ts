export * from './app-metrics';
export * from './http-metrics';
export * from './metered-provider';
export * from './metrics.module';
export * from './metrics-server';
