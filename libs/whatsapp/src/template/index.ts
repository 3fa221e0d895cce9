export * from './template-definition';
export * from './template-send-rules';
export * from './template-header-media';
