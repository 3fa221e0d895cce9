import { Controller, Get, HttpStatus, Param, Post, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { diskStorage } from 'multer';
import { IdParamDto, InputValidationException, ok, StandardEnvelope } from '@app/common';
import { CurrentPrincipal, Permission, Principal, RequirePermission } from '../auth';
import { AcceptsMultipart, NoRequestDeadline } from '../http';
import { ExpensiveRoute } from '../rate-limit';
import { ContactExportService } from './contact-export.service';
import { ContactImportService, ContactImportView, INLINE_IMPORT_MAX_BYTES } from './contact-import.service';
import { MALFORMED_LINE_ERROR, MAX_ROW_BYTES } from './contact-importer';

/** The multipart field of the file. */
const IMPORT_FILE_FIELD = 'file';
/** Largest import file (a million contacts with a few attributes take about 80 MB). */
export const MAX_IMPORT_BYTES = 256 * 1024 * 1024;

const REPORT_EXAMPLE = {
  status: true,
  message: 'Contacts imported successfully!',
  data: {
    _id: '6750a1c2e6046617c8aeab10',
    client_id: '649ff7e0e6046617c8aeabf0',
    status: 'completed',
    bytes: 214,
    rows: 4,
    created: 2,
    updated: 1,
    unchanged: 0,
    rejected: 1,
    rejections: [{ line: 4, number: '12345', reasons: ['bad number: "12345" is not a valid international phone number'] }],
    error: null,
    finished_at: '2026-12-07T10:00:01.204Z',
    createdAt: '2026-12-07T10:00:01.100Z',
    updatedAt: '2026-12-07T10:00:01.204Z',
    __v: 0,
  },
};

/** Bulk import and export of contacts as CSV. */
@ApiTags('contacts')
@Controller('contacts')
export class ContactTransferController {
  constructor(
    private readonly imports: ContactImportService,
    private readonly exports: ContactExportService,
  ) {}

  @Post('import')
  @ExpensiveRoute()
  @RequirePermission(Permission.ContactWrite)
  @AcceptsMultipart(IMPORT_FILE_FIELD)
  @NoRequestDeadline()
  @UseInterceptors(
    FileInterceptor(IMPORT_FILE_FIELD, {
      // On local disk under a random name (file names never reach the file system), removed once read.
      storage: diskStorage({ destination: tmpdir(), filename: (_request, _file, done) => done(null, `contact-import-${randomBytes(12).toString('hex')}.csv`) }),
      limits: { files: 1, fields: 0, parts: 1, fileSize: MAX_IMPORT_BYTES },
    }),
  )
  @ApiOperation({
    summary: 'Import contacts from a CSV file (upserted by number; the same file again changes nothing)',
    description:
      `Multipart field "${IMPORT_FILE_FIELD}": UTF-8 CSV, at most ${MAX_IMPORT_BYTES / 1024 / 1024} MB, with a header row. Columns: \`number\` (required), ` +
      '`name`, `email`, `organization`, `tags` (separated by `;`, added to the contact\'s), `attr.<name>` per attribute (an empty cell leaves it as is; ' +
      '`true`/`false`, numbers and ISO 8601 dates are typed), and the consent columns `opt_in_at`, `opt_in_source` (default csv_import), `opt_in_text`, ' +
      '`opted_out` (`true` opts out). Rows are read as the file streams and written in batches of 1,000. A bad row is rejected with its line number ' +
      `and reasons; the other rows are imported. A malformed line (an unclosed quote, a row over ${MAX_ROW_BYTES / 1024} KB) stops the import: ` +
      `every row before it is imported, none after it. A file up to ${INLINE_IMPORT_MAX_BYTES / 1024 / 1024} MB is imported before the answer (201, the report); ` +
      'a larger one in the background (202): follow it at GET /contacts/imports/:id.\n\n' +
      '```\ncurl "$BASE/contacts/import" -H "Authorization: Bearer $KEY" -F file=@contacts.csv\n```\n\ncontacts.csv:\n\n' +
      '```\nnumber,name,tags,attr.city,attr.first_name,opt_in_at,opt_in_text\n2348179803743,Ada Obi,vip;lagos,Lagos,Ada,2026-11-30T09:15:00Z,Order updates by WhatsApp\n' +
      '+234 904 898 8056,Bola,lagos,Lagos,Bola,,\n```',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: [IMPORT_FILE_FIELD], properties: { [IMPORT_FILE_FIELD]: { type: 'string', format: 'binary' } } } })
  @ApiCreatedResponse({
    description: 'Contacts imported successfully! (the report); or, for a file with a malformed row, "Contact import stopped: <why>" with status failed and the rows before it imported',
    schema: { example: REPORT_EXAMPLE },
  })
  @ApiAcceptedResponse({ description: 'Contact import started (a large file): its progress at GET /contacts/imports/:id' })
  @ApiBadRequestResponse({ description: 'No file, an empty file, or a bad header (unknown or repeated column, no number column)' })
  @ApiPayloadTooLargeResponse({ description: `The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB` })
  async import(
    @CurrentPrincipal() principal: Principal,
    @UploadedFile() file: Express.Multer.File | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StandardEnvelope<ContactImportView>> {
    if (!file) throw new InputValidationException([`the CSV file is missing: send it in the multipart field "${IMPORT_FILE_FIELD}"`]);
    const { record, finished } = await this.imports.start(principal.clientId, { path: file.path, size: file.size });
    if (!finished) {
      response.status(HttpStatus.ACCEPTED);
      return ok('Contact import started', record);
    }
    // A malformed row stops the import; the rows before it are imported (the report counts them).
    if (record.status === 'failed' && record.error?.startsWith(MALFORMED_LINE_ERROR)) return ok(`Contact import stopped: ${record.error}; the rows before it were imported`, record);
    if (record.status === 'failed') return ok(`Contact import failed: ${record.error ?? 'unknown error'}`, record);
    return ok('Contacts imported successfully!', record);
  }

  @Get('imports/:id')
  @RequirePermission(Permission.ContactRead)
  @ApiOperation({
    summary: "An import's progress, then its report",
    description: '`status`: queued (waiting for one of the API process\'s CONTACT_IMPORT_THREADS import threads), running, completed, failed, or interrupted (its API process stopped: import the file again; rows already imported are unchanged).',
  })
  @ApiOkResponse({ description: 'Contact import fetched successfully!', schema: { example: { ...REPORT_EXAMPLE, message: 'Contact import fetched successfully!' } } })
  @ApiNotFoundResponse({ description: 'No such import for this client' })
  async getImport(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<ContactImportView>> {
    return ok('Contact import fetched successfully!', await this.imports.get(principal.clientId, id));
  }

  @Get('export')
  @ExpensiveRoute()
  @NoRequestDeadline()
  @RequirePermission(Permission.ContactRead)
  @ApiOperation({
    summary: "Every contact of the client as CSV, streamed (the import's shape)",
    description:
      'Columns as POST /contacts/import reads them, one `attr.<name>` column per attribute any contact has. A cell that begins with `=`, `+`, `-`, `@`, ' +
      "a tab or a carriage return is written after a `'` so that a spreadsheet never runs it as a formula; the import removes that `'` again.\n\n" +
      '```\ncurl "$BASE/contacts/export" -H "Authorization: Bearer $KEY" -o contacts.csv\n```',
  })
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'The CSV file', content: { 'text/csv': { schema: { type: 'string' } } } })
  async export(@CurrentPrincipal() principal: Principal, @Res() response: Response): Promise<void> {
    await this.exports.write(principal.clientId, response);
  }
}
