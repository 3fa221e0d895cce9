export * from './envelopes';
export * from './filters';
export * from './pagination';
export * from './query';
export * from './validation';
export * from './phone';
