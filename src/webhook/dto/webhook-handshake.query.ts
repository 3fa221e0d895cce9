import { ApiProperty } from '@nestjs/swagger';
import { Equals, Length } from 'class-validator';

/** Longest hub.verify_token or hub.challenge accepted. One Length rule per field, so a missing one is one line, not three. */
const HANDSHAKE_TEXT_MAX_LENGTH = 512;

/** Meta's subscription check: `GET ?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...`. */
export class WebhookHandshakeQuery {
  @ApiProperty({ name: 'hub.mode', example: 'subscribe' })
  @Equals('subscribe', { message: 'hub.mode must be "subscribe"' })
  'hub.mode'!: string;

  @ApiProperty({ name: 'hub.verify_token', example: 'my-verify-token', description: "The verify_token of a cloud-api session's credentials" })
  @Length(1, HANDSHAKE_TEXT_MAX_LENGTH, { message: `hub.verify_token is required, as 1 to ${HANDSHAKE_TEXT_MAX_LENGTH} characters` })
  'hub.verify_token'!: string;

  @ApiProperty({ name: 'hub.challenge', example: '1158201444', description: 'Echoed back as the answer body' })
  @Length(1, HANDSHAKE_TEXT_MAX_LENGTH, { message: `hub.challenge is required, as 1 to ${HANDSHAKE_TEXT_MAX_LENGTH} characters` })
  'hub.challenge'!: string;
}
