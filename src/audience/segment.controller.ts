import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IdParamDto, ok, okPage, PageQueryDto, paginate, StandardEnvelope } from '@app/common';
import { Audited } from '../audit-log/audited';
import { CurrentPrincipal, Permission, Principal, RequirePermission } from '../auth';
import { CreateSegmentDto, SegmentContactsQueryDto, UpdateSegmentDto } from './dto/segment.dto';
import { SegmentRecord } from './segment.schema';
import { SegmentContactsPage, SegmentService } from './segment.service';

const SEGMENT_EXAMPLE = {
  _id: '6750a1c2e6046617c8aeab20',
  client_id: '649ff7e0e6046617c8aeabf0',
  name: 'Lagos and Abuja VIPs',
  filter: {
    tags: { all: ['vip'], none: ['churned'] },
    attributes: [{ name: 'city', op: 'in', values: ['Lagos', 'Abuja'] }],
    opted_in: true,
  },
  createdAt: '2026-12-07T10:00:00.000Z',
  updatedAt: '2026-12-07T10:00:00.000Z',
  __v: 0,
};

/** Saved segments of contacts: the audiences of broadcasts. */
@ApiTags('segments')
@Controller('segments')
export class SegmentController {
  constructor(private readonly segments: SegmentService) {}

  @Post()
  @Audited('segment', 'created')
  @RequirePermission(Permission.ContactWrite)
  @ApiOperation({
    summary: 'Save a segment: a filter over contacts (tags, attributes, consent, recent inbound, broadcasts received)',
    description:
      'What the segment holds is worked out whenever it is read or a broadcast is sent to it, so it follows the contacts as they change.\n\n' +
      '```\ncurl "$BASE/segments" -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" -d \'{\n' +
      '  "name": "Lagos VIPs", "filter": { "tags": { "all": ["vip"] }, "attributes": [ { "name": "city", "op": "equals", "value": "Lagos" } ], "opted_in": true } }\'\n```',
  })
  @ApiCreatedResponse({ description: 'Segment created successfully!', schema: { example: { status: true, message: 'Segment created successfully!', data: SEGMENT_EXAMPLE } } })
  @ApiBadRequestResponse({ description: 'An unknown field or operator, a bad value or tag (each named), an unknown broadcast' })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateSegmentDto): Promise<StandardEnvelope<SegmentRecord>> {
    return ok('Segment created successfully!', await this.segments.create(principal.clientId, body.name, body.filter));
  }

  @Get()
  @RequirePermission(Permission.ContactRead)
  @ApiOperation({ summary: "List the client's segments, newest first" })
  @ApiOkResponse({ description: 'Segments fetched successfully!' })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<StandardEnvelope<SegmentRecord[]>> {
    const { items, total } = await this.segments.list(principal.clientId, query);
    return okPage('Segments fetched successfully!', items, paginate(query, total));
  }

  @Get(':id')
  @RequirePermission(Permission.ContactRead)
  @ApiOperation({ summary: 'Get one segment' })
  @ApiOkResponse({ description: 'Segment fetched successfully!' })
  @ApiNotFoundResponse({ description: 'No such segment for this client' })
  async get(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<SegmentRecord>> {
    return ok('Segment fetched successfully!', await this.segments.get(principal.clientId, id));
  }

  @Patch(':id')
  @Audited('segment', 'updated')
  @RequirePermission(Permission.ContactWrite)
  @ApiOperation({ summary: "Rename a segment or change its filter (a scheduled broadcast to it sends to the segment as it is at send_at)" })
  @ApiOkResponse({ description: 'Segment updated successfully!' })
  @ApiBadRequestResponse({ description: 'A bad filter (each problem named)' })
  @ApiNotFoundResponse({ description: 'No such segment for this client' })
  async update(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto, @Body() body: UpdateSegmentDto): Promise<StandardEnvelope<SegmentRecord>> {
    return ok('Segment updated successfully!', await this.segments.update(principal.clientId, id, body));
  }

  @Delete(':id')
  @Audited('segment', 'deleted')
  @HttpCode(200)
  @RequirePermission(Permission.ContactWrite)
  @ApiOperation({ summary: 'Delete a segment (broadcasts already sent to it keep their recipients)' })
  @ApiOkResponse({ description: 'Segment deleted successfully!' })
  @ApiNotFoundResponse({ description: 'No such segment for this client' })
  async delete(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<null>> {
    await this.segments.delete(principal.clientId, id);
    return ok('Segment deleted successfully!', null);
  }

  @Get(':id/contacts')
  @RequirePermission(Permission.ContactRead)
  @ApiOperation({
    summary: "The segment's contacts as they are now, in pages (pass next_cursor as cursor for the next one)",
    description: '```\ncurl "$BASE/segments/$SEGMENT_ID/contacts?limit=100" -H "Authorization: Bearer $KEY"\n```',
  })
  @ApiOkResponse({
    description: 'Segment contacts fetched successfully!',
    schema: { example: { status: true, message: 'Segment contacts fetched successfully!', data: { contacts: [], next_cursor: 'Z1Chwubg0GYXyK6r' } } },
  })
  @ApiBadRequestResponse({ description: 'A cursor that no page gave, or a limit out of range' })
  @ApiNotFoundResponse({ description: 'No such segment for this client' })
  async contacts(
    @CurrentPrincipal() principal: Principal,
    @Param() { id }: IdParamDto,
    @Query() query: SegmentContactsQueryDto,
  ): Promise<StandardEnvelope<SegmentContactsPage>> {
    return ok('Segment contacts fetched successfully!', await this.segments.contactsPage(principal.clientId, id, query.cursor, query.limit));
  }

  @Get(':id/count')
  @RequirePermission(Permission.ContactRead)
  @ApiOperation({ summary: 'How many contacts the segment holds now' })
  @ApiOkResponse({ description: 'Segment counted successfully!', schema: { example: { status: true, message: 'Segment counted successfully!', data: { count: 1250 } } } })
  @ApiNotFoundResponse({ description: 'No such segment for this client' })
  async count(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<{ count: number }>> {
    return ok('Segment counted successfully!', { count: await this.segments.count(principal.clientId, id) });
  }
}
