export * from './auth.decorators';
export * from './auth.module';
export * from './dto/session-credentials.dto';
export * from './permissions';
export * from './principal';
export * from './session.repository';
export * from './session.schema';
export * from './credentials-cipher';
