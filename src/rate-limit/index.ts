export * from './rate-limit.decorators';
export * from './rate-limit-headers';
