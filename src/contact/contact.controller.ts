import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { IdParamDto, ok, okPage, paginate, StandardEnvelope } from '@app/common';
import { CurrentPrincipal, Permission, Principal, RequirePermission } from '../auth';
import { ContactService } from './contact.service';
import { ContactRecord } from './contact.schema';
import { CreateContactDto } from './dto/create-contact.dto';
import { ListContactsQueryDto } from './dto/list-contacts-query.dto';
import { AddTagsDto, UpdateContactDto } from './dto/update-contact.dto';
import { ContactTagParamDto } from './dto/contact-tag-param.dto';

@ApiTags('contacts')
@Controller('contacts')
export class ContactController {
  constructor(private readonly contacts: ContactService) {}

  @Post()
  @RequirePermission(Permission.ContactWrite)
  @ApiOperation({ summary: 'Create a contact (phone normalised to digits-only international form, unique per client)' })
  @ApiCreatedResponse({ description: 'Contact created successfully!' })
  @ApiBadRequestResponse({ description: 'Invalid phone number or field' })
  @ApiConflictResponse({ description: 'A contact with this phone number already exists' })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateContactDto): Promise<StandardEnvelope<ContactRecord>> {
    return ok('Contact created successfully!', await this.contacts.create(principal.clientId, body));
  }

  @Get()
  @RequirePermission(Permission.ContactRead)
  @ApiOperation({
    summary: "List the client's contacts, newest first",
    description: 'Filter by tags and attribute values: `GET /contacts?tag=vip&attribute=city:Lagos` lists the contacts tagged vip whose city is Lagos.',
  })
  @ApiOkResponse({ description: 'Contacts fetched successfully!' })
  @ApiBadRequestResponse({ description: 'A malformed tag or attribute condition' })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListContactsQueryDto): Promise<StandardEnvelope<ContactRecord[]>> {
    const { items, total } = await this.contacts.list(principal.clientId, query);
    return okPage('Contacts fetched successfully!', items, paginate(query, total));
  }

  @Get(':id')
  @RequirePermission(Permission.ContactRead)
  @ApiOperation({ summary: 'Get one contact' })
  @ApiOkResponse({ description: 'Contact fetched successfully!' })
  @ApiNotFoundResponse({ description: 'No such contact for this client' })
  async get(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<ContactRecord>> {
    return ok('Contact fetched successfully!', await this.contacts.get(principal.clientId, id));
  }

  @Patch(':id')
  @RequirePermission(Permission.ContactWrite)
  @ApiOperation({
    summary: 'Update a contact (any subset of its fields, attributes, tags and opt-in)',
    description:
      'Attributes are merged (`null` removes one), tags replaced, and an opt-in recorded with its source and text; every opt-in and ' +
      'opt-out is appended to `consent_history`.\n\n```json\n{ "attributes": { "first_name": "Ada", "city": "Lagos", "orders": 3 },\n' +
      '  "tags": ["vip"],\n  "opt_in": { "source": "web_form", "text": "Order updates and offers by WhatsApp" } }\n```',
  })
  @ApiOkResponse({ description: 'Contact updated successfully!' })
  @ApiBadRequestResponse({ description: 'A bad attribute name or value, too many attributes or tags, a bad tag, an unknown opt-in source' })
  @ApiNotFoundResponse({ description: 'No such contact for this client' })
  @ApiConflictResponse({ description: 'Another contact already has this phone number' })
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param() { id }: IdParamDto,
    @Body() body: UpdateContactDto,
  ): Promise<StandardEnvelope<ContactRecord>> {
    return ok('Contact updated successfully!', await this.contacts.update(principal.clientId, id, body));
  }

  @Post(':id/tags')
  @HttpCode(200)
  @RequirePermission(Permission.ContactWrite)
  @ApiOperation({ summary: 'Add tags to a contact (tags it carries already are kept once)' })
  @ApiOkResponse({ description: 'Contact tags updated successfully!' })
  @ApiBadRequestResponse({ description: 'A bad tag, or more tags than a contact may carry' })
  @ApiNotFoundResponse({ description: 'No such contact for this client' })
  async addTags(
    @CurrentPrincipal() principal: Principal,
    @Param() { id }: IdParamDto,
    @Body() body: AddTagsDto,
  ): Promise<StandardEnvelope<ContactRecord>> {
    return ok('Contact tags updated successfully!', await this.contacts.addTags(principal.clientId, id, body.tags));
  }

  @Delete(':id/tags/:tag')
  @HttpCode(200)
  @RequirePermission(Permission.ContactWrite)
  @ApiOperation({ summary: 'Remove a tag from a contact (a tag it does not carry: no change)' })
  @ApiOkResponse({ description: 'Contact tags updated successfully!' })
  @ApiNotFoundResponse({ description: 'No such contact for this client' })
  async removeTag(@CurrentPrincipal() principal: Principal, @Param() { id, tag }: ContactTagParamDto): Promise<StandardEnvelope<ContactRecord>> {
    return ok('Contact tags updated successfully!', await this.contacts.removeTag(principal.clientId, id, tag));
  }

  @Delete(':id')
  @HttpCode(200)
  @RequirePermission(Permission.ContactWrite)
  @ApiOperation({ summary: 'Delete a contact (messages already sent keep their snapshot of it)' })
  @ApiOkResponse({ description: 'Contact deleted successfully!' })
  @ApiNotFoundResponse({ description: 'No such contact for this client' })
  async delete(@CurrentPrincipal() principal: Principal, @Param() { id }: IdParamDto): Promise<StandardEnvelope<null>> {
    await this.contacts.delete(principal.clientId, id);
    return ok('Contact deleted successfully!', null);
  }
}
