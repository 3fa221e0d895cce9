import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { CurrentPrincipal, Permission, Principal, RequirePermission } from '../auth';
import { ContactMessagesService } from './contact-messages.service';
import { ContactMessagesErrorDto, ContactMessagesPageDto } from './dto/contact-message.dto';
import { ContactMessagesParamDto, ContactMessagesQueryDto } from './dto/contact-messages-query.dto';

@ApiTags('contact-messages')
@Controller('v1/contacts')
export class ContactMessagesController {
  constructor(private readonly contactMessages: ContactMessagesService) {}

  @Get(':identifier/messages')
  @RequirePermission(Permission.MessageLogRead)
  @ApiOperation({
    summary: 'List messages for contact (seed 003)',
    description:
      'Messages sent to a contact (by contact id) or to a phone number, newest first, across all sessions of the client. ' +
      'Cursors are opaque and name a position, so pages stay correct while new messages arrive; ' +
      'nextCursor goes to older messages, prevCursor to newer ones, each null at its end.',
  })
  @ApiOkResponse({ type: ContactMessagesPageDto, description: 'OK' })
  @ApiBadRequestResponse({ type: ContactMessagesErrorDto, description: 'Bad identifier, perPage or cursor' })
  @ApiUnauthorizedResponse({ type: ContactMessagesErrorDto, description: 'Missing or invalid API key' })
  @ApiNotFoundResponse({ type: ContactMessagesErrorDto, description: 'No such contact id for this client' })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Param() { identifier }: ContactMessagesParamDto,
    @Query() query: ContactMessagesQueryDto,
  ): Promise<ContactMessagesPageDto> {
    return this.contactMessages.list(principal.clientId, identifier, query);
  }
}
