import { paginate, skipFor } from './pagination';

describe('paginate', () => {
  it('describes a middle page', () => {
    expect(paginate({ page: 2, limit: 10 }, 64)).toEqual({ page: 2, limit: 10, total: 64, totalPages: 7, nextPage: 3, prevPage: 1 });
  });

  it('has no next page on the last page and no previous one on the first', () => {
    expect(paginate({ page: 7, limit: 10 }, 64).nextPage).toBeNull();
    expect(paginate({ page: 1, limit: 10 }, 64).prevPage).toBeNull();
  });

  it('handles an empty list and a page past the end', () => {
    expect(paginate({ page: 1, limit: 10 }, 0)).toMatchObject({ totalPages: 0, nextPage: null, prevPage: null });
    expect(paginate({ page: 9, limit: 10 }, 64)).toMatchObject({ nextPage: null, prevPage: 7 });
  });

  it('skips whole pages', () => {
    expect(skipFor({ page: 3, limit: 25 })).toBe(50);
  });
});
