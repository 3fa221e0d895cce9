export * from './message';
export * from './provider';
export * from './cloud-api';
export * from './sandbox';
