import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsOptional, IsString, Matches } from 'class-validator';
import { PageQueryDto } from '@app/common';

/** Conditions one list request may combine, at most. */
const MAX_LIST_CONDITIONS = 20;

const asList = ({ value }: { value: unknown }): unknown => (value === undefined || Array.isArray(value) ? value : [value]);

/** GET /contacts: a page, optionally only contacts with every given tag and attribute value. */
export class ListContactsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: [String], description: 'Only contacts with this tag (repeat for several: all of them)', example: ['vip'] })
  @IsOptional()
  @Transform(asList)
  @ArrayMaxSize(MAX_LIST_CONDITIONS, { message: `tag may be given at most ${MAX_LIST_CONDITIONS} times` })
  @IsString({ each: true, message: 'tag must be a string' })
  tag?: string[];

  @ApiPropertyOptional({
    type: [String],
    description: 'Only contacts whose attribute has this value, written `name:value` (repeat for several: all of them). ' +
      'The value matches text, and also a number or boolean written the same way.',
    example: ['city:Lagos'],
  })
  @IsOptional()
  @Transform(asList)
  @ArrayMaxSize(MAX_LIST_CONDITIONS, { message: `attribute may be given at most ${MAX_LIST_CONDITIONS} times` })
  @Matches(/^[a-z][a-z0-9_]{0,39}:.{0,256}$/s, { each: true, message: 'attribute must be written name:value (a lower-case attribute name, a colon, the value)' })
  attribute?: string[];
}
