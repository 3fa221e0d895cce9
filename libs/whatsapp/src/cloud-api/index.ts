export * from './cloud-api-credentials';
export * from './cloud-api-errors';
export * from './cloud-api-message';
export * from './cloud-api-webhook';
export * from './cloud-api.provider';
export * from './media-id-cache';
export * from './cloud-api-inbound';
