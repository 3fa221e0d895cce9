import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsMongoId, IsOptional, IsString, MaxLength, ValidateBy, ValidateIf, ValidationArguments } from 'class-validator';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../pagination/pagination';

/**
 * A whole number from `min` to `max`, with one message naming the first rule broken
 * (separate IsInt/Min/Max would answer "abc" with three contradicting lines).
 */
export function IsWholeNumberInRange(min: number, max = Number.MAX_SAFE_INTEGER): PropertyDecorator {
  return ValidateBy({
    name: 'isWholeNumberInRange',
    constraints: [min, max],
    validator: {
      validate: (value: unknown) => Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max,
      defaultMessage: ({ property, value }: ValidationArguments) => {
        if (!Number.isInteger(value)) return `${property} must be a whole number`;
        return (value as number) < min ? `${property} must be ${min} or more` : `${property} must be ${max} or less`;
      },
    },
  });
}

/** A 1-based page number from the query string. */
export function Page(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: Number, minimum: 1, default: 1, example: 1 }),
    IsOptional(),
    Type(() => Number),
    IsWholeNumberInRange(1),
  );
}

/** A page size from the query string: 1 to `max` (default MAX_PAGE_LIMIT). */
export function Limit(max = MAX_PAGE_LIMIT, defaultValue = DEFAULT_PAGE_LIMIT): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: Number, minimum: 1, maximum: max, default: defaultValue, example: defaultValue }),
    IsOptional(),
    Type(() => Number),
    IsWholeNumberInRange(1, max),
  );
}

/** A MongoDB ObjectId in a route parameter or body field. */
export function IsObjectIdParam(description = 'Record id (24 hex characters)'): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ description, example: '64ac509d05a7cc2b8c2bd9ab', pattern: '^[0-9a-fA-F]{24}$' }),
    IsMongoId({ message: ({ property }) => `${property} must be a 24-character hexadecimal id` }),
  );
}

/** Optional field that may also be sent as null; both mean "not given". */
export function Optional(): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined && value !== null);
}

/**
 * Optional field that, when given, is checked like a required one: only an absent field skips
 * the checks, so `null` gets their message (for fields where null means nothing, unlike IsOptional).
 */
export function OptionalNotNull(): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined);
}

/**
 * Query-string booleans: only the words `true` and `false` are accepted, which is how OpenAPI
 * writes a boolean query parameter; so the document says plain `boolean`, without a string enum.
 */
export function QueryBoolean(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: Boolean }),
    Transform(({ value }: { value: unknown }) => {
      if (value === 'true' || value === true) return true;
      if (value === 'false' || value === false) return false;
      return value;
    }),
  );
}

/**
 * Required free text such as a name: surrounding whitespace is trimmed here, so that "   "
 * is refused as blank instead of reaching the schema (which trims too) as an empty value.
 */
export function RequiredText(maxLength: number): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value)),
    IsString({ message: ({ property }) => `${property} must be a string` }),
    ValidateBy({
      name: 'isNotBlank',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || value !== '',
        defaultMessage: (args) => `${args?.property ?? 'text'} must not be blank`,
      },
    }),
    MaxLength(maxLength, { message: ({ property }) => `${property} must be at most ${maxLength} characters` }),
  );
}
