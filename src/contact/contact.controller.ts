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
import { IdParamDto, ok, okPage, PageQueryDto, paginate, StandardEnvelope } from '@app/common';
import { CurrentPrincipal, Permission, Principal, RequirePermission } from '../auth';
import { ContactService } from './contact.service';
import { ContactRecord } from './contact.schema';
import { CreateContactDto } from './dto/create-contact.dto';
import { UpdateContactDto } from './dto/update-contact.dto';

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
  @ApiOperation({ summary: "List the client's contacts, newest first" })
  @ApiOkResponse({ description: 'Contacts fetched successfully!' })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<StandardEnvelope<ContactRecord[]>> {
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
  @ApiOperation({ summary: 'Update a contact (any subset of its fields)' })
  @ApiOkResponse({ description: 'Contact updated successfully!' })
  @ApiNotFoundResponse({ description: 'No such contact for this client' })
  @ApiConflictResponse({ description: 'Another contact already has this phone number' })
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param() { id }: IdParamDto,
    @Body() body: UpdateContactDto,
  ): Promise<StandardEnvelope<ContactRecord>> {
    return ok('Contact updated successfully!', await this.contacts.update(principal.clientId, id, body));
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
