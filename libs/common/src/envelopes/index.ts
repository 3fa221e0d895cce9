export * from './envelope-family';
export * from './standard-envelope';
export * from './external-envelope';
export * from './error-body';
