import { IsObjectIdParam } from './decorators';

/** `/:id` of every resource route. */
export class IdParamDto {
  @IsObjectIdParam()
  id!: string;
}
