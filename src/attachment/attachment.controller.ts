import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  StreamableFile,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { IdParamDto, ok, okPage, paginate, StandardEnvelope } from '@app/common';
import { CurrentPrincipal, Permission, RequirePermission } from '../auth';
import { AcceptsMultipart, NoRequestDeadline } from '../http';
import { ExpensiveRoute } from '../rate-limit';
import type { Principal } from '../auth';
import { AttachmentService } from './attachment.service';
import type { AttachmentRecord } from './attachment.schema';
import type { UploadedAttachmentFile } from './attachment-upload.engine';
import { AttachmentDto } from './dto/attachment.dto';
import { ListAttachmentsQueryDto } from './dto/list-attachments-query.dto';
import { UploadAttachmentDto } from './dto/upload-attachment.dto';
import { ACCEPTED_MEDIA, describeBytes, WHATSAPP_MEDIA_LIMITS } from './media-rules';

const UPLOAD_FIELD = 'file';

const ACCEPTED_TYPES_DOC = Object.entries(WHATSAPP_MEDIA_LIMITS)
  .map(([kind, limit]) => {
    const types = ACCEPTED_MEDIA.filter((media) => media.kind === kind).map((media) => media.mimetype);
    return `${kind} (${types.join(', ')}) up to ${describeBytes(limit)}`;
  })
  .join('; ');

const envelopeOf = (data: object, pagination = false): object => ({
  type: 'object',
  properties: {
    status: { type: 'boolean', example: true },
    message: { type: 'string', example: 'Attachment fetched successfully!' },
    data,
    ...(pagination
      ? {
          pagination: {
            type: 'object',
            example: { page: 1, limit: 10, total: 5, totalPages: 1, nextPage: null, prevPage: null },
          },
        }
      : {}),
  },
});

/** Downloads are named after the stored file; anything outside a safe alphabet is dropped anyway. */
function safeDownloadName(fileName: string): string {
  return fileName.replace(/[^A-Za-z0-9._-]/g, '') || 'attachment';
}

@ApiTags('attachments')
@ApiExtraModels(AttachmentDto)
@Controller('attachment')
export class AttachmentController {
  constructor(private readonly attachments: AttachmentService) {}

  @Post()
  @ExpensiveRoute()
  @RequirePermission(Permission.AttachmentWrite)
  @AcceptsMultipart(UPLOAD_FIELD)
  @NoRequestDeadline()
  @UseInterceptors(FileInterceptor(UPLOAD_FIELD))
  @ApiOperation({
    summary: 'Upload an attachment',
    description:
      `Multipart form with the file in the field "${UPLOAD_FIELD}". The type is decided from the content, never from the ` +
      `file name or the declared type. Accepted: ${ACCEPTED_TYPES_DOC} (ATTACHMENT_MAX_BYTES may lower every limit). ` +
      'An optional session goes in X-Session-Id/X-Access-Token headers or the query string: the multipart body is read after authentication.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: [UPLOAD_FIELD],
      properties: { [UPLOAD_FIELD]: { type: 'string', format: 'binary' } },
    },
  })
  @ApiCreatedResponse({ description: 'Attachment uploaded successfully!', schema: envelopeOf({ $ref: getSchemaPath(AttachmentDto) }) })
  @ApiBadRequestResponse({ description: 'No file in the field "file", an empty file, other form fields, or a malformed multipart body' })
  @ApiPayloadTooLargeResponse({ description: "The file is larger than its media class's limit" })
  @ApiUnsupportedMediaTypeResponse({ description: 'The content is not a type WhatsApp accepts' })
  async upload(
    @CurrentPrincipal() principal: Principal,
    @UploadedFile() file: UploadedAttachmentFile | undefined,
    @Body() _fields: UploadAttachmentDto,
  ): Promise<StandardEnvelope<AttachmentRecord>> {
    if (!file) {
      throw new BadRequestException(`Send the file as multipart/form-data in the field "${UPLOAD_FIELD}"`);
    }
    return ok('Attachment uploaded successfully!', await this.attachments.record(principal.clientId, file.upload));
  }

  @Get()
  @RequirePermission(Permission.AttachmentRead)
  @ApiOperation({ summary: "List the client's attachments, newest first" })
  @ApiOkResponse({ description: 'Attachment fetched successfully!', schema: envelopeOf({ type: 'array', items: { $ref: getSchemaPath(AttachmentDto) } }, true) })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListAttachmentsQueryDto,
  ): Promise<StandardEnvelope<AttachmentRecord[]>> {
    const page = { page: query.page, limit: query.limit };
    const { items, total } = await this.attachments.list(principal.clientId, page);
    return okPage('Attachment fetched successfully!', items, paginate(page, total));
  }

  @Get(':id')
  @RequirePermission(Permission.AttachmentRead)
  @ApiOperation({ summary: 'Get one attachment' })
  @ApiOkResponse({ description: 'Attachment fetched successfully!', schema: envelopeOf({ $ref: getSchemaPath(AttachmentDto) }) })
  @ApiNotFoundResponse({ description: 'No such attachment for this client' })
  async get(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<AttachmentRecord>> {
    return ok('Attachment fetched successfully!', await this.attachments.get(principal.clientId, id));
  }

  @Get(':id/download')
  @RequirePermission(Permission.AttachmentRead)
  @ApiOperation({ summary: "Download the attachment's bytes" })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The file, with its detected Content-Type', schema: { type: 'string', format: 'binary' } })
  @ApiNotFoundResponse({ description: 'No such attachment for this client' })
  async download(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StreamableFile> {
    const { attachment, fileName, content } = await this.attachments.download(principal.clientId, id);
    return new StreamableFile(content, {
      type: attachment.mimetype,
      length: attachment.size,
      disposition: `attachment; filename="${safeDownloadName(fileName)}"`,
    });
  }

  @Delete(':id')
  @HttpCode(HttpStatus.OK)
  @RequirePermission(Permission.AttachmentWrite)
  @ApiOperation({ summary: 'Delete an attachment and its file' })
  @ApiOkResponse({ description: 'Attachment deleted successfully!', schema: envelopeOf({ $ref: getSchemaPath(AttachmentDto) }) })
  @ApiNotFoundResponse({ description: 'No such attachment for this client' })
  @ApiConflictResponse({ description: 'A broadcast that is still sending uses the attachment' })
  async remove(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<AttachmentRecord>> {
    return ok('Attachment deleted successfully!', await this.attachments.remove(principal.clientId, id));
  }
}
