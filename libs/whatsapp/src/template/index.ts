export * from './template-definition';
export * from './template-send-rules';
