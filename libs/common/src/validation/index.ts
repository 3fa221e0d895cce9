export * from './decorators';
export * from './id-param.dto';
export * from './validation-pipe';
export * from './calendar-date';
export * from './send-at';
