import { ApiHideProperty } from '@nestjs/swagger';
import { IsEmpty } from 'class-validator';

const CREDENTIALS_IN_MULTIPART =
  'is not read from a multipart body: send session_id and access_token as X-Session-Id/X-Access-Token headers or in the query string';

/**
 * The text fields of `POST /attachment`'s multipart form: none are taken (the file is in
 * the field `file`, which the upload interceptor reads).
 * The guard checks session credentials before the body is read, so they cannot be form
 * fields; saying so beats silently ignoring them.
 */
export class UploadAttachmentDto {
  @ApiHideProperty()
  @IsEmpty({ message: `session_id ${CREDENTIALS_IN_MULTIPART}` })
  session_id?: unknown;

  @ApiHideProperty()
  @IsEmpty({ message: `access_token ${CREDENTIALS_IN_MULTIPART}` })
  access_token?: unknown;
}
