import { Limit, Page } from '../validation/decorators';
import { DEFAULT_PAGE_LIMIT, PageRequest } from './pagination';

/** `?page=&limit=` as every standard list endpoint takes them. */
export class PageQueryDto implements PageRequest {
  /** Page number, starting at 1. */
  @Page()
  page: number = 1;

  /** Items per page, 1 to 100. */
  @Limit()
  limit: number = DEFAULT_PAGE_LIMIT;
}
