export * from './message';
export * from './provider';
