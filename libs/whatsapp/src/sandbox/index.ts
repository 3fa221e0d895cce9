export * from './sandbox.provider';
