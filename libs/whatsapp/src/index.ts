export * from './message';
export * from './provider';
export * from './sandbox';
