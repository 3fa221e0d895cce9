/** Hard ceiling for every page size the API accepts. */
export const MAX_PAGE_LIMIT = 100;
export const DEFAULT_PAGE_LIMIT = 10;

/** The `pagination` block of list answers in the standard envelope. */
export interface Pagination {
  page: number;
  limit: number;
  total: number;
  totalPages: number;
  nextPage: number | null;
  prevPage: number | null;
}

export interface PageRequest {
  page: number;
  limit: number;
}

export function skipFor({ page, limit }: PageRequest): number {
  return (page - 1) * limit;
}

export function paginate({ page, limit }: PageRequest, total: number): Pagination {
  const totalPages = Math.ceil(total / limit);
  return {
    page,
    limit,
    total,
    totalPages,
    nextPage: page < totalPages ? page + 1 : null,
    prevPage: page > 1 ? Math.min(page - 1, Math.max(totalPages, 1)) : null,
  };
}

export interface PageResult<T> {
  items: T[];
  total: number;
}
