export * from './attachment.module';
export * from './attachment.service';
export * from './attachment.schema';
export * from './attachment-usage';
