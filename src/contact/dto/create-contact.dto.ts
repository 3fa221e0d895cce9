import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, MaxLength } from 'class-validator';
import { PhoneNumberField, RequiredText } from '@app/common';

export class CreateContactDto {
  @ApiProperty({ description: 'Name shown on the contact card', example: 'Ada Obi', maxLength: 200 })
  @RequiredText(200)
  name!: string;

  @ApiProperty({
    description: 'Phone number with country code; stored digits-only (spaces, dashes and + are accepted)',
    example: '2348179803743',
  })
  @PhoneNumberField()
  phone!: string;

  @ApiPropertyOptional({ example: 'ada@example.com', nullable: true })
  @IsOptional()
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(320)
  email?: string | null;

  @ApiPropertyOptional({ example: 'Acme Ltd', nullable: true, maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  organization?: string | null;
}
