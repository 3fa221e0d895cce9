import { csvCell, exportRow, readContactHeader, readContactRow, unescapeCell } from './contact-csv';
import { Types } from 'mongoose';

describe('contact CSV', () => {
  const columns = readContactHeader(['Phone', 'name', 'tags', 'attr.age', 'attr.vip', 'opt_in_at', 'opt_in_text'], [])!;

  it('reads typed attributes, tags and an opt-in from a row', () => {
    expect(readContactRow(columns, ['+234 817 000 0001', 'Ada', 'VIP; lagos;', '30', 'true', '2026-11-30T09:15:00Z', 'Offers'], 2)).toEqual({
      line: 2,
      phone: '2348170000001',
      name: 'Ada',
      tags: ['vip', 'lagos'],
      attributes: { age: 30, vip: true },
      optIn: { at: new Date('2026-11-30T09:15:00Z'), source: 'csv_import', text: 'Offers' },
      optOut: false,
    });
  });

  it('keeps numbers that are not written canonically as text (a leading zero is meaningful)', () => {
    const row = readContactRow(columns, ['2348170000001', '', '', '007', '', '', ''], 3);
    expect(row).toMatchObject({ attributes: { age: '007' } });
  });

  it('rejects a row with every reason', () => {
    expect(readContactRow(columns, ['0000', 'x', 'bad tag!', '', 'maybe', '', 'Offers'], 4)).toEqual({
      line: 4,
      number: '0000',
      reasons: [
        'bad number: "0000" is not a valid international phone number',
        'bad tag: "bad tag!" (1 to 40 letters, digits, _, -, : or .)',
        'opt_in_source and opt_in_text need opt_in_at (when the person opted in)',
      ],
    });
  });

  it('escapes formula cells on export and reads them back as written', () => {
    for (const value of ['=1+1', '+44', '-5', '@SUM(A1)', '\tx']) {
      expect(csvCell(value).startsWith("'") || csvCell(value).startsWith(`"'`)).toBe(true);
      expect(unescapeCell(csvCell(value).replace(/^"|"$/g, ''))).toBe(value);
    }
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell('plain')).toBe('plain');
    const row = exportRow(
      { _id: new Types.ObjectId(), phone: '2348170000001', name: '=cmd', email: null, organization: null, attributes: { at: new Date('2024-01-02T00:00:00Z'), n: -1 }, tags: ['a', 'b'], opt_in: null, opted_out: false },
      ['at', 'n', 'missing'],
    );
    expect(row).toBe("2348170000001,'=cmd,,,a;b,2024-01-02T00:00:00.000Z,'-1,,,,,false");
  });

  it('names every bad header column', () => {
    const problems: string[] = [];
    expect(readContactHeader(['name', 'name', 'attr.Bad', 'attr.constructor', 'colour'], problems)).toBeNull();
    expect(problems).toEqual([
      'line 1: column "name" appears twice',
      'line 1: "attr.Bad" is not an attribute column (attr. then a lower-case letter, then up to 39 lower-case letters, digits or _; not constructor or prototype)',
      'line 1: "attr.constructor" is not an attribute column (attr. then a lower-case letter, then up to 39 lower-case letters, digits or _; not constructor or prototype)',
      'line 1: unknown column "colour" (expected number, name, email, organization, tags, opt_in_at, opt_in_source, opt_in_text, opted_out or attr.<name>)',
      'line 1: the header row needs a column named number or phone',
    ]);
  });
});
