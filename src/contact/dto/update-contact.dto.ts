import { ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import { CreateContactDto } from './create-contact.dto';

/** Any subset of a contact's fields, and its opt-out. */
export class UpdateContactDto extends PartialType(CreateContactDto) {
  @ApiPropertyOptional({
    description: 'Opt the number out (nothing is sent to it; sends fail with opted_out) or back in, as the keywords STOP and START do',
    example: false,
  })
  @IsOptional()
  @IsBoolean({ message: 'opted_out must be true or false' })
  opted_out?: boolean;
}
