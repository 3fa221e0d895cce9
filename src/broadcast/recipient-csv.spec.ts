import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { readRecipientCsv } from './recipient-csv';

const fromText = (text: string): Readable => Readable.from([Buffer.from(text, 'utf8')]);

describe('readRecipientCsv', () => {
  it('reads the number column and every other column as a variable, with line numbers; an empty cell is no value', async () => {
    const csv = '\uFEFFPhone,first_name,"order"\r\n2348179803743,Ada,1042\r\n\r\n"+234 904 898 8056","Obi, ""Bola""",\r\n';
    expect(await readRecipientCsv(fromText(csv), 10)).toEqual({
      entries: [
        { input: '2348179803743', variables: { first_name: 'Ada', order: '1042' }, line: 2 },
        { input: '+234 904 898 8056', variables: { first_name: 'Obi, "Bola"' }, line: 4 },
      ],
      problems: [],
    });
  });

  it('names each bad row by its line, and a header without a number column', async () => {
    expect((await readRecipientCsv(fromText('number,name\n1,a,b\n,c\n'), 10)).problems).toEqual([
      'line 2: has 3 fields; the header has 2',
      'line 3: the number/phone column is empty',
    ]);
    expect((await readRecipientCsv(fromText('name,city\nAda,Lagos\n'), 10)).problems[0]).toMatch(/^line 1: the header row needs a column named number or phone/);
    expect((await readRecipientCsv(fromText('number,name,name\n'), 10)).problems).toEqual(['line 1: column "name" appears twice']);
    // Names every object inherits a meaning for: `__proto__` would lose its values, `constructor` is read as a function.
    expect((await readRecipientCsv(fromText('number,__proto__,constructor,prototype\n2348179803743,a,b,c\n'), 10)).problems).toEqual(
      ['__proto__', 'constructor', 'prototype'].map((name) => `line 1: column "${name}" is not a variable name (letters, digits and _, not starting with a digit, and not __proto__, constructor or prototype)`),
    );
    expect((await readRecipientCsv(fromText(''), 10)).problems).toEqual(['the file is empty: it needs a header row and one row per recipient']);
  });

  it('stops at the row limit and drains the rest of the upload, so that the request can complete', async () => {
    const source = new PassThrough();
    const reading = readRecipientCsv(source, 2);
    source.write('number\n2348179803743\n2348179803744\n2348179803745\n2348179803746\n');
    const result = await reading;
    expect(result.problems).toEqual(['the file has more than 2 recipient rows; at most 2 are allowed per broadcast']);
    expect(result.entries).toHaveLength(2);
    // The rest (far more than any stream buffer) is read and dropped, so the upload ends.
    const ended = once(source, 'end');
    for (let chunk = 0; chunk < 64; chunk++) source.write(`${'2348179803747\n'.repeat(4096)}`);
    source.end();
    await ended;
  });

  it('reports a malformed line (an unclosed quote) with its number', async () => {
    const { problems } = await readRecipientCsv(fromText('number,name\n2348179803743,"Ada\n'), 10);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^line \d+: /);
  });
});
