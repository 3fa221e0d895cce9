import { ApiProperty } from '@nestjs/swagger';
import { Equals, IsString, MaxLength, MinLength } from 'class-validator';

/** Meta's subscription check: `GET ?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...`. */
export class WebhookHandshakeQuery {
  @ApiProperty({ name: 'hub.mode', example: 'subscribe' })
  @Equals('subscribe', { message: 'hub.mode must be "subscribe"' })
  'hub.mode'!: string;

  @ApiProperty({ name: 'hub.verify_token', example: 'my-verify-token', description: "The verify_token of a cloud-api session's credentials" })
  @IsString({ message: 'hub.verify_token is required' })
  @MinLength(1, { message: 'hub.verify_token is required' })
  @MaxLength(512)
  'hub.verify_token'!: string;

  @ApiProperty({ name: 'hub.challenge', example: '1158201444', description: 'Echoed back as the answer body' })
  @IsString({ message: 'hub.challenge is required' })
  @MinLength(1, { message: 'hub.challenge is required' })
  @MaxLength(512)
  'hub.challenge'!: string;
}
