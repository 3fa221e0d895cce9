import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { IdParamDto } from '@app/common';

/** `/contacts/:id/tags/:tag`. */
export class ContactTagParamDto extends IdParamDto {
  @ApiProperty({ description: 'The tag to remove', example: 'vip' })
  @IsString()
  @MaxLength(40, { message: 'tag must be at most 40 characters' })
  tag!: string;
}
