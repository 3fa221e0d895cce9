import { Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppConfig } from '../config';

const ALGORITHM = 'aes-256-gcm';
const VERSION = 'v1';

/** Encrypts session provider credentials at rest (AES-256-GCM, random IV, authenticated). */
@Injectable()
export class CredentialsCipher {
  private readonly key: Buffer;

  constructor(config: AppConfig) {
    this.key = config.security.credentialsEncryptionKey;
  }

  encrypt(credentials: Record<string, string>): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv(ALGORITHM, this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(credentials), 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  decrypt(payload: string): Record<string, string> {
    const [version, iv, tag, body] = payload.split(':');
    if (version !== VERSION || !iv || !tag || !body) throw new Error('Unrecognised credentials format');
    const decipher = createDecipheriv(ALGORITHM, this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    return JSON.parse(text) as Record<string, string>;
  }
}
