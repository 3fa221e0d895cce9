export * from './message';
export * from './provider';
export * from './inbound';
export * from './cloud-api';
export * from './sandbox';
export * from './template';
