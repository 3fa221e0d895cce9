import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsMongoId, IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * session_id + access_token select the sending session. They may come in the JSON body
 * (as the seeds show, even on GET), in the query string, or as X-Session-Id /
 * X-Access-Token headers; the guard reads them from any of these. DTOs of session-scoped
 * endpoints extend this class so that the strict validation pipe accepts them.
 */
export class SessionCredentialsDto {
  @ApiPropertyOptional({ description: 'Id of the sending session', example: '649ff7e0e6046617c8aeabf1' })
  @IsOptional()
  @IsMongoId({ message: 'session_id must be a 24-character hexadecimal id' })
  session_id?: string;

  @ApiPropertyOptional({ description: "The session's access token", example: 'st_3q2...' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  access_token?: string;
}
