import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';

/** Flattens nested validation errors into "field.sub must be ..." lines. */
export function describeValidationErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      // class-validator names the leaf property; prefix the parents so nested fields are unambiguous.
      parent && message.startsWith(`${error.property} `) ? `${parent}.${message}` : message,
    );
    return [...own, ...describeValidationErrors(error.children ?? [], path)];
  });
}

/** Thrown for invalid input; the filter renders `details` as the list of problems. */
export class InputValidationException extends BadRequestException {
  constructor(readonly details: string[]) {
    super({ message: 'Validation failed', details });
  }
}

/** The one validation pipe of the application: strict, transforming, naming every bad field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new InputValidationException(describeValidationErrors(errors)),
  });
}
