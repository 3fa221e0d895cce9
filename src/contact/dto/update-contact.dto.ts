import { PartialType } from '@nestjs/swagger';
import { CreateContactDto } from './create-contact.dto';

/** Any subset of a contact's fields. */
export class UpdateContactDto extends PartialType(CreateContactDto) {}
