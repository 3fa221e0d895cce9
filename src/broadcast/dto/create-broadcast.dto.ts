import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsDefined, IsIn, IsObject, IsOptional, ValidateBy, ValidateNested } from 'class-validator';
import { SessionCredentialsDto } from '../../auth';
import { MessageContentDto } from '../../message-content/dto/message-content.dto';
import { SEND_TYPES, SendType } from '../broadcast.schema';

export class CreateBroadcastDto extends SessionCredentialsDto {
  @ApiProperty({ enum: SEND_TYPES, example: 'individual' })
  @IsIn(SEND_TYPES, { message: `send_type must be one of: ${SEND_TYPES.join(', ')}` })
  send_type!: SendType;

  @ApiProperty({
    description:
      'Recipients: comma-separated string or array of numbers with country code (+, spaces and dashes allowed); normalised to digits and deduplicated',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: '2348179803743,2349048988056',
  })
  @ValidateBy({
    name: 'isRecipientList',
    validator: {
      validate: (value: unknown) =>
        (typeof value === 'string' && value.trim() !== '') ||
        (Array.isArray(value) && value.length > 0 && value.every((entry) => typeof entry === 'string')),
      defaultMessage: () => 'to must be a comma-separated string of phone numbers or a non-empty array of them',
    },
  })
  to!: string | string[];

  @ApiProperty({ type: MessageContentDto })
  @IsDefined({ message: 'message is required' })
  @IsObject({ message: 'message must be an object' })
  @ValidateNested()
  @Type(() => MessageContentDto)
  message!: MessageContentDto;

  @ApiPropertyOptional({
    description: 'Put invalid numbers straight into `failed` (with the reason) instead of refusing the broadcast',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  skip_invalid?: boolean;
}
