export * from './literal-pattern';
