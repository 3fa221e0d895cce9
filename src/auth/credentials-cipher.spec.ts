import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config';
import { CredentialsCipher } from './credentials-cipher';

function cipherWithKey(key: Buffer): CredentialsCipher {
  return new CredentialsCipher({ security: { credentialsEncryptionKey: key } } as AppConfig);
}

describe('CredentialsCipher', () => {
  const key = randomBytes(32);

  it('round-trips credentials and never stores them in clear', () => {
    const cipher = cipherWithKey(key);
    const encrypted = cipher.encrypt({ access_token: 'EAAG-very-secret', phone_number_id: '1234' });
    expect(encrypted).not.toContain('EAAG-very-secret');
    expect(cipher.decrypt(encrypted)).toEqual({ access_token: 'EAAG-very-secret', phone_number_id: '1234' });
  });

  it('uses a fresh IV each time', () => {
    const cipher = cipherWithKey(key);
    expect(cipher.encrypt({ a: 'b' })).not.toEqual(cipher.encrypt({ a: 'b' }));
  });

  it('refuses ciphertext that was tampered with or made with another key', () => {
    const encrypted = cipherWithKey(key).encrypt({ a: 'b' });
    const parts = encrypted.split(':');
    const body = Buffer.from(parts[3], 'base64');
    body[0] ^= 1;
    expect(() => cipherWithKey(key).decrypt([...parts.slice(0, 3), body.toString('base64')].join(':'))).toThrow();
    expect(() => cipherWithKey(randomBytes(32)).decrypt(encrypted)).toThrow();
  });
});
