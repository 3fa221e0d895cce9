export * from './accepts-multipart';
export * from './body-shape';
export * from './http-app';
export * from './request-body';
export * from './security';
export * from './server-sent-events';
export * from './request-deadline';
