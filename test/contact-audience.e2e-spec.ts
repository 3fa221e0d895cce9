import { getConnectionToken } from '@nestjs/mongoose';
import { Types, type Connection } from 'mongoose';
import { rmSync } from 'node:fs';
import { createTenant, TestTenant } from './support/factories';
import { describeWithMongo } from './support/mongo';
import { pollUntil } from './support/polling';
import { createTestApp, TestApp } from './support/test-app';
import { mobileNumbers } from './support/broadcasts';

interface Contact {
  _id: string;
  phone: string;
  name: string;
  attributes?: Record<string, unknown>;
  tags?: string[];
  opt_in?: { at: string; source: string; text: string | null } | null;
  opted_out?: boolean;
  consent_history?: Array<{ action: string; source: string; text: string | null }>;
}

interface ImportReport {
  _id: string;
  status: string;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  rejections: Array<{ line: number; number: string; reasons: string[] }>;
}

/** Statuses of an import that has not ended yet. */
const IMPORT_UNDER_WAY = ['queued', 'running'];

const csvFile = (text: string): [Buffer, { filename: string; contentType: string }] => [Buffer.from(text), { filename: 'contacts.csv', contentType: 'text/csv' }];

describeWithMongo('Contacts for audiences: attributes, tags, consent, import and export (e2e)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let bob: TestTenant;

  beforeAll(async () => {
    // The smallest heap a background import's thread may have: the 10,000-row import still fits; a 48 MB cell does not.
    t = await createTestApp({ worker: false, env: { CONTACT_IMPORT_HEAP_MB: '32' } });
    alice = await createTenant(t.app, { name: 'Alice' });
    bob = await createTenant(t.app, { name: 'Bob' });
  });
  afterAll(() => t.close());

  const importCsv = (tenant: TestTenant, text: string) => t.http.post('/contacts/import').set(tenant.auth).attach('file', ...csvFile(text));

  it('sets and unsets attributes, replaces and edits tags, and keeps every consent change in the history', async () => {
    const created = await t.http.post('/contacts').set(alice.auth).send({ name: 'Ada Obi', phone: '+2348170000001' }).expect(201);
    const id = (created.body.data as Contact)._id;
    const patched = await t.http
      .patch(`/contacts/${id}`)
      .set(alice.auth)
      .send({
        attributes: { first_name: 'Ada', city: 'Lagos', orders: 3, vip: true, birthday: '1990-05-17' },
        tags: ['VIP', ' lagos '],
        opt_in: { source: 'web_form', text: 'Offers by WhatsApp' },
      })
      .expect(200);
    const contact = patched.body.data as Contact;
    expect(contact.attributes).toEqual({ first_name: 'Ada', city: 'Lagos', orders: 3, vip: true, birthday: '1990-05-17T00:00:00.000Z' });
    expect(contact.tags).toEqual(['vip', 'lagos']);
    expect(contact.opt_in).toMatchObject({ source: 'web_form', text: 'Offers by WhatsApp' });

    const unset = await t.http.patch(`/contacts/${id}`).set(alice.auth).send({ attributes: { orders: null }, opted_out: true }).expect(200);
    expect((unset.body.data as Contact).attributes).not.toHaveProperty('orders');
    expect((unset.body.data as Contact).consent_history?.map(({ action, source }) => `${action}:${source}`)).toEqual(['opt_in:web_form', 'opt_out:api']);

    await t.http.post(`/contacts/${id}/tags`).set(alice.auth).send({ tags: ['gold', 'vip'] }).expect(200);
    const untagged = await t.http.delete(`/contacts/${id}/tags/LAGOS`).set(alice.auth).expect(200);
    expect((untagged.body.data as Contact).tags).toEqual(['vip', 'gold']);

    const listed = await t.http.get('/contacts?tag=vip&attribute=city:Lagos').set(alice.auth).expect(200);
    expect((listed.body.data as Contact[]).map(({ _id }) => _id)).toEqual([id]);
    const none = await t.http.get('/contacts?tag=vip&attribute=city:Abuja').set(alice.auth).expect(200);
    expect(none.body.data).toEqual([]);
    // Another tenant sees nothing of it, and its id answers 404 on every route.
    expect((await t.http.get('/contacts?tag=vip').set(bob.auth).expect(200)).body.data).toEqual([]);
    await t.http.patch(`/contacts/${id}`).set(bob.auth).send({ tags: ['x'] }).expect(404);
    await t.http.post(`/contacts/${id}/tags`).set(bob.auth).send({ tags: ['x'] }).expect(404);
    await t.http.delete(`/contacts/${id}/tags/vip`).set(bob.auth).expect(404);
  });

  it('refuses bad attributes, tags and opt-ins by name, writing nothing', async () => {
    const created = await t.http.post('/contacts').set(alice.auth).send({ name: 'Bola', phone: '+2348170000002' }).expect(201);
    const id = (created.body.data as Contact)._id;
    const bad = await t.http
      .patch(`/contacts/${id}`)
      .set(alice.auth)
      .send({ attributes: { City: 'x', nested: { $gt: 1 }, long: 'y'.repeat(300) }, tags: ['ok', 'not a tag'], opt_in: { source: 'rumour' } })
      .expect(400);
    const text = (bad.body.errors as string[]).join('\n');
    expect(text).toContain('"City" is not an attribute name');
    expect(text).toContain('attributes.nested must be a string, a number, a boolean or an ISO 8601 date');
    expect(text).toContain('attributes.long is longer than 256 characters');
    expect(text).toContain('tags[1] is not a tag');
    expect(text).toContain('opt_in.source must be one of');
    const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_value, index) => [`a${index}`, index]));
    await t.http.patch(`/contacts/${id}`).set(alice.auth).send({ attributes: tooMany }).expect(400);
    await t.http.post(`/contacts/${id}/tags`).set(alice.auth).send({ tags: Array.from({ length: 51 }, (_value, index) => `t${index}`) }).expect(400);
    const unchanged = (await t.http.get(`/contacts/${id}`).set(alice.auth).expect(200)).body.data as Contact;
    expect(unchanged.attributes).toBeUndefined();
    expect(unchanged.tags).toBeUndefined();
  });

  it('imports a CSV with a report naming each bad row by line, and a second import of the same file changes nothing', async () => {
    const existing = await t.http.post('/contacts').set(alice.auth).send({ name: 'Old name', phone: '2348170000010' }).expect(201);
    const tagged = Array.from({ length: 51 }, (_value, index) => `t${index}`).join(';');
    const file = [
      'number,name,tags,attr.city,attr.orders,opt_in_at,opt_in_source,opt_in_text',
      '2348170000010,Chidi,vip,Lagos,3,2026-11-30T09:15:00Z,web_form,Offers by WhatsApp',
      '+234 817 000 0011,Dayo,vip;new,Abuja,1,,,',
      '12345,Bad Number,,,,,,',
      '2348170000012,Bad Attr,,,,not-a-date,,',
      `2348170000013,Too Many Tags,${tagged},,,,,`,
      '2348170000014,Short row',
      '2348170000015,Bad Tag,"not a tag",,,,,',
      '2348170000016,Bad Source,,,,2026-11-30T09:15:00Z,rumour,',
      '"2348170000017","Quoted, Name",,"Port Harcourt",,,,',
    ].join('\n');
    const first = await importCsv(alice, file).expect(201);
    const report = first.body.data as ImportReport;
    expect(report).toMatchObject({ status: 'completed', rows: 9, created: 2, updated: 1, unchanged: 0, rejected: 6 });
    expect(report.rejections.map(({ line, reasons }) => [line, reasons[0]])).toEqual([
      [4, 'bad number: "12345" is not a valid international phone number'],
      [5, 'bad opt_in_at: "not-a-date" is not an ISO 8601 date'],
      [6, 'too many tags: 51; a contact carries at most 50'],
      [7, 'has 2 fields; the header has 8'],
      [8, 'bad tag: "not a tag" (1 to 40 letters, digits, _, -, : or .)'],
      [9, 'bad opt_in_source: "rumour" (one of web_form, csv_import, inbound_keyword, api, other)'],
    ]);
    const updated = (await t.http.get(`/contacts/${(existing.body.data as Contact)._id}`).set(alice.auth).expect(200)).body.data as Contact;
    expect(updated).toMatchObject({ name: 'Chidi', attributes: { city: 'Lagos', orders: 3 }, tags: ['vip'], opt_in: { source: 'web_form', text: 'Offers by WhatsApp' } });
    const quoted = (await t.http.get('/contacts?attribute=city:Port Harcourt').set(alice.auth).expect(200)).body.data as Contact[];
    expect(quoted.map(({ name }) => name)).toEqual(['Quoted, Name']);

    const again = await importCsv(alice, file).expect(201);
    expect(again.body.data).toMatchObject({ status: 'completed', rows: 9, created: 0, updated: 0, unchanged: 3, rejected: 6 });
    const history = ((await t.http.get(`/contacts/${(existing.body.data as Contact)._id}`).set(alice.auth)).body.data as Contact).consent_history;
    expect(history).toHaveLength(1);
    // Bob's import of the same numbers makes his own contacts; Alice's import record is not his.
    expect((await importCsv(bob, file).expect(201)).body.data).toMatchObject({ created: 3 });
    await t.http.get(`/contacts/imports/${report._id}`).set(bob.auth).expect(404);
    expect((await t.http.get(`/contacts/imports/${report._id}`).set(alice.auth).expect(200)).body.data).toMatchObject({ rows: 9, rejected: 6 });
  });

  it('refuses a file without a number column or with an unknown column before importing anything', async () => {
    const noNumber = await importCsv(alice, 'name,attr.city\nAda,Lagos\n').expect(400);
    expect(noNumber.body.errors).toContain('line 1: the header row needs a column named number or phone');
    const unknown = await importCsv(alice, 'number,colour,attr.Bad\n2348170000020,red,x\n').expect(400);
    expect((unknown.body.errors as string[]).join('\n')).toMatch(/unknown column "colour"[\s\S]*"attr.Bad" is not an attribute column/);
    await importCsv(alice, '').expect(400);
    await t.http.post('/contacts/import').set(alice.auth).field('x', 'y').expect(400);
  });

  it('exports a CSV that imports back unchanged, with formula cells escaped', async () => {
    const carol = await createTenant(t.app, { name: 'Carol' });
    const file = [
      'number,name,organization,tags,attr.note,attr.score,attr.joined,opt_in_at,opt_in_text,opted_out',
      '2348170000030,"=HYPERLINK(""http://evil"")",@corp,vip,+1 for you,-5,2024-01-02,2026-11-30T09:15:00.000Z,"Yes, offers",false',
      '2348170000031,Plain,,,"line one, two",7,,,,true',
    ].join('\n');
    expect((await importCsv(carol, file).expect(201)).body.data).toMatchObject({ status: 'completed', created: 2, rejected: 0 });
    const exported = await t.http.get('/contacts/export').set(carol.auth).expect(200);
    expect(exported.headers['content-type']).toContain('text/csv');
    const lines = exported.text.trim().split('\n');
    expect(lines[0]).toBe('number,name,email,organization,tags,attr.joined,attr.note,attr.score,opt_in_at,opt_in_source,opt_in_text,opted_out');
    expect(lines).toContain(
      `2348170000030,"'=HYPERLINK(""http://evil"")",,'@corp,vip,2024-01-02T00:00:00.000Z,'+1 for you,'-5,2026-11-30T09:15:00.000Z,csv_import,"Yes, offers",false`,
    );
    expect(lines).toContain('2348170000031,Plain,,,,,"line one, two",7,,,,true');
    const back = await importCsv(carol, exported.text).expect(201);
    expect(back.body.data).toMatchObject({ rows: 2, created: 0, updated: 0, unchanged: 2, rejected: 0 });
    const [evil] = (await t.http.get('/contacts?attribute=score:-5').set(carol.auth).expect(200)).body.data as Contact[];
    expect(evil).toMatchObject({ name: '=HYPERLINK("http://evil")', organization: '@corp', attributes: { note: '+1 for you', score: -5 } });
    // Another tenant's export holds none of Carol's contacts.
    expect((await t.http.get('/contacts/export').set(alice.auth).expect(200)).text).not.toContain('2348170000030');
  });

  it('imports 10,000 rows in the background with progress, then reports them', async () => {
    const phones = mobileNumbers(10_000, '81500');
    const note = 'A note long enough that ten thousand rows make a file over the 1 MB imported inline';
    const rows = phones.map((phone, index) => `${phone},Person ${index},${index % 2 === 0 ? 'even' : 'odd'},City ${index % 7},${index},${note}`);
    const file = ['number,name,tags,attr.city,attr.rank,attr.note', ...rows].join('\n');
    expect(file.length).toBeGreaterThan(1024 * 1024);
    const started = await importCsv(alice, file).expect(202);
    const id = (started.body.data as ImportReport)._id;
    const done = await pollUntil(
      async () => (await t.http.get(`/contacts/imports/${id}`).set(alice.auth).expect(200)).body.data as ImportReport,
      (report) => !IMPORT_UNDER_WAY.includes(report.status),
      60_000,
      200,
    );
    expect(done).toMatchObject({ status: 'completed', rows: 10_000, created: 10_000, rejected: 0 });
    const odd = await t.http.get('/contacts?tag=odd&attribute=city:City 3&limit=100').set(alice.auth).expect(200);
    expect(odd.body.pagination).toMatchObject({ total: phones.filter((_phone, index) => index % 2 === 1 && index % 7 === 3).length });
  });

  it('fails a background import whose API process is stopped during it, saying so', async () => {
    // A second API on the same database: stopping it (without dropping the database, as t.close() would) stops its import's thread.
    const other = await createTestApp({ worker: false, env: { MONGODB_URI: t.config.mongo.uri } });
    const rows = mobileNumbers(20_000, '81700').map((phone, index) => `${phone},Person ${index},Somewhere in the City of ${index % 7}`);
    const file = ['number,name,attr.city', ...rows].join('\n');
    expect(file.length).toBeGreaterThan(1024 * 1024);
    let id: string;
    try {
      id = ((await other.http.post('/contacts/import').set(alice.auth).attach('file', ...csvFile(file)).expect(202)).body.data as ImportReport)._id;
    } finally {
      await other.app.close();
      rmSync(other.dataDir, { recursive: true, force: true });
    }
    const report = (await t.http.get(`/contacts/imports/${id}`).set(alice.auth).expect(200)).body.data as ImportReport & { error: string | null };
    expect(report).toMatchObject({ status: 'failed', error: 'the API process stopped during the import; import the file again (rows already imported are unchanged)' });
  });

  describe('with one import thread per API process (CONTACT_IMPORT_THREADS=1)', () => {
    /** A file over the 1 MB imported inline, of `count` new contacts. */
    const largeFile = (count: number, prefix: string): string => {
      const note = 'A note long enough that ten thousand rows make a file over the 1 MB imported inline';
      return ['number,name,attr.note', ...mobileNumbers(count, prefix).map((phone, index) => `${phone},Person ${index},${note}`)].join('\n');
    };
    let narrow: TestApp;

    beforeEach(async () => {
      // Another API on the same database, with one thread: closing it leaves the database to `t`.
      narrow = await createTestApp({ worker: false, env: { MONGODB_URI: t.config.mongo.uri, CONTACT_IMPORT_THREADS: '1' } });
    });
    afterEach(async () => {
      await narrow.app.close();
      rmSync(narrow.dataDir, { recursive: true, force: true });
    });

    const startImport = async (file: string): Promise<string> =>
      ((await narrow.http.post('/contacts/import').set(alice.auth).attach('file', ...csvFile(file)).expect(202)).body.data as ImportReport)._id;
    const report = async (id: string): Promise<ImportReport & { error: string | null }> =>
      (await t.http.get(`/contacts/imports/${id}`).set(alice.auth).expect(200)).body.data as ImportReport & { error: string | null };

    it('runs a second large import only once the first has ended, `queued` until then', async () => {
      const first = await startImport(largeFile(10_000, '81810'));
      const second = await startImport(largeFile(10_000, '81820'));
      expect((await report(second)).status).toBe('queued');
      const polls: Array<[string, string]> = [];
      await pollUntil(
        async () => {
          const [a, b] = await Promise.all([report(first), report(second)]);
          polls.push([a.status, b.status]);
          return b;
        },
        (latest) => !IMPORT_UNDER_WAY.includes(latest.status),
        120_000,
        100,
      );
      // Never both at once: the second waited while the first ran, and ran once it had ended.
      expect(polls.filter(([a, b]) => a === 'running' && b === 'running')).toEqual([]);
      expect(polls.some(([a, b]) => a === 'running' && b === 'queued')).toBe(true);
      expect(await report(first)).toMatchObject({ status: 'completed', created: 10_000 });
      expect(await report(second)).toMatchObject({ status: 'completed', created: 10_000 });
    });

    it('fails an import still waiting for a thread when its API process stops, saying so', async () => {
      const first = await startImport(largeFile(10_000, '81830'));
      const second = await startImport(largeFile(10_000, '81840'));
      expect((await report(second)).status).toBe('queued');
      await narrow.app.close();
      const stopped = 'the API process stopped during the import; import the file again (rows already imported are unchanged)';
      expect(await report(second)).toMatchObject({ status: 'failed', error: stopped, rows: 0 });
      expect((await report(first)).status).not.toBe('queued');
    });
  });

  it('stops an import at a row over 64 KB as malformed, before making it a string', async () => {
    const file = `number,name\n2348170000040,${'x'.repeat(100 * 1024)}\n`;
    const answer = (await importCsv(alice, file).expect(201)).body;
    const report = answer.data as ImportReport & { error: string | null };
    expect(report).toMatchObject({ status: 'failed', rows: 0, created: 0 });
    expect(report.error).toMatch(/^stopped at a malformed line: Max Record Size: .* at line 2$/);
    // The answer says so, not that the contacts were imported.
    expect(answer.message).toBe(`Contact import stopped: ${report.error}; the rows before it were imported`);
  });

  it('imports every row before a malformed one, across file chunks and the batch it stopped in, and none after it', async () => {
    // 2,500 rows (about 80 KB: more than one 64 KB chunk of the file, and a batch of 500 left when it stops), then a row over 64 KB.
    const phones = mobileNumbers(2501, '81800');
    const rows = phones.slice(0, 2500).map((phone, index) => `${phone},Before ${index}`);
    const file = ['number,name', ...rows, `2348179000001,${'x'.repeat(100 * 1024)}`, `${phones[2500]},After`].join('\n');
    const report = (await importCsv(alice, file).expect(201)).body.data as ImportReport & { error: string | null };
    expect(report).toMatchObject({ status: 'failed', rows: 2500, created: 2500 });
    expect(report.error).toMatch(/^stopped at a malformed line: Max Record Size: .* at line 2502$/);
    const contacts = t.app.get<Connection>(getConnectionToken()).collection('contacts');
    expect(await contacts.countDocuments({ client_id: new Types.ObjectId(alice.clientId), phone: { $in: phones.slice(0, 2500) } })).toBe(2500);
    expect(await contacts.countDocuments({ client_id: new Types.ObjectId(alice.clientId), phone: phones[2500] })).toBe(0);
  });

  it('fails a background import that runs out of its memory with the reason, and the API goes on importing', async () => {
    // A batch of 1,000 rows of 50 attributes of 256 two-byte characters: more than the thread's 32 MB heap holds besides its code.
    const header = ['number', ...Array.from({ length: 50 }, (_value, index) => `attr.a${index}`)].join(',');
    const long = 'é'.repeat(256);
    const rows = mobileNumbers(1000, '81600').map((phone) => [phone, ...Array.from({ length: 50 }, () => long)].join(','));
    const id = ((await importCsv(alice, [header, ...rows].join('\n')).expect(202)).body.data as ImportReport)._id;
    const done = await pollUntil(
      async () => (await t.http.get(`/contacts/imports/${id}`).set(alice.auth).expect(200)).body.data as ImportReport & { error: string | null },
      (report) => !IMPORT_UNDER_WAY.includes(report.status),
      60_000,
      200,
    );
    expect(done).toMatchObject({ status: 'failed', created: 0 });
    expect(done.error).toMatch(/^the import ran out of memory: its thread may use 32 MB \(CONTACT_IMPORT_HEAP_MB\)/);
    expect((await importCsv(alice, 'number,name\n2348170000041,After\n').expect(201)).body.data).toMatchObject({ status: 'completed', created: 1 });
  });
});
