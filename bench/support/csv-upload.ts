/**
 * The CSV recipient-list benches' client side (broadcast-csv.ts, broadcast-plan.ts): a generated
 * list, a multipart body holding it, and one call to the API started by upload-api-process.ts.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { UploadApiReady } from './upload-api';

/** `rows` distinct Nigerian numbers with a name and an order number each. */
export function recipientList(rows: number): Buffer {
  const lines = ['number,name,order'];
  for (let index = 0; index < rows; index++) lines.push(`234803${String(1000000 + index).padStart(7, '0')},Customer ${index},${100000 + index}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** One request to the API as its bench client (API key and session headers), answering the status and body. */
export function call(ready: UploadApiReady, method: string, path: string, body?: { boundary: string; parts: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: ready.port,
        method,
        path,
        headers: {
          Authorization: `Bearer ${ready.apiKey}`,
          'X-Session-Id': ready.session.id,
          'X-Access-Token': ready.session.accessToken,
          ...(body ? { 'Content-Type': `multipart/form-data; boundary=${body.boundary}`, 'Content-Length': body.parts.length } : {}),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body?.parts);
  });
}

/** A multipart body holding the CSV as `file` and the given fields. */
export function multipart(csv: Buffer, fields: Record<string, string>): { boundary: string; parts: Buffer } {
  const boundary = `bench${randomBytes(8).toString('hex')}`;
  const texts = Object.entries(fields).map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  const fileHead = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="recipients.csv"\r\nContent-Type: text/csv\r\n\r\n`;
  return { boundary, parts: Buffer.concat([Buffer.from(texts.join('') + fileHead), csv, Buffer.from(`\r\n--${boundary}--\r\n`)]) };
}
