import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { Limit, Page } from './decorators';

class Paging {
  @Page()
  page: number = 1;

  @Limit()
  limit: number = 10;
}

function problems(query: Record<string, string>): string[] {
  return validateSync(plainToInstance(Paging, query)).flatMap((error) => Object.values(error.constraints ?? {}));
}

describe('Page and Limit', () => {
  it('take whole numbers in range', () => {
    expect(problems({ page: '3', limit: '100' })).toEqual([]);
    expect(problems({})).toEqual([]);
  });

  it.each([
    [{ limit: 'ten' }, ['limit must be a whole number']],
    [{ limit: '2.5' }, ['limit must be a whole number']],
    [{ limit: '0' }, ['limit must be 1 or more']],
    [{ limit: '101' }, ['limit must be 100 or less']],
    [{ page: 'first' }, ['page must be a whole number']],
    [{ page: '0' }, ['page must be 1 or more']],
    [{ page: '1e300' }, ['page must be 9007199254740991 or less']],
  ])('name one broken rule for %j', (query, expected) => {
    expect(problems(query)).toEqual(expected);
  });
});
