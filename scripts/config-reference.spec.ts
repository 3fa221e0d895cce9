import { readFileSync } from 'node:fs';
import { validateEnvironment } from '../src/config/environment';
import { documentedVariables, ENV_EXAMPLE_FILE, REFERENCE_FILE, renderEnvExample, renderReference } from './config-reference';

describe('The configuration reference and .env.example (generated from the config schema)', () => {
  const variables = documentedVariables();

  it('are what `npm run docs:config` makes of the schema today (run it after changing a variable)', () => {
    expect(readFileSync(REFERENCE_FILE, 'utf8')).toBe(renderReference(variables));
    expect(readFileSync(ENV_EXAMPLE_FILE, 'utf8')).toBe(renderEnvExample(variables));
  });

  it('describe every variable the service validates, with its default', () => {
    expect(variables.filter(({ description }) => description === '').map(({ name }) => name)).toEqual([]);
    expect(variables.find(({ name }) => name === 'PORT')).toMatchObject({ defaultText: '`3000`', exampleValue: '3000' });
    expect(variables.find(({ name }) => name === 'MONGODB_URI')).toMatchObject({ defaultText: '(required; local mode: embedded)', exampleValue: '' });
    const defaults = validateEnvironment({ MONGODB_URI: 'mongodb://db/wa', REDIS_URL: 'redis://redis:6379', CREDENTIALS_ENCRYPTION_KEY: 'a'.repeat(64) });
    expect(variables.map(({ name }) => name)).toEqual(expect.arrayContaining(Object.keys(defaults)));
  });

  it('.env.example, uncommented, is a valid configuration that changes nothing but the required variables', () => {
    const example = renderEnvExample(variables);
    const assignments = [...example.matchAll(/^# ([A-Z][A-Z0-9_]*)=(.*)$/gm)].filter(([, , value]) => value !== '');
    const env = Object.fromEntries(assignments.map(([, name, value]) => [name, value]));
    const required = { MONGODB_URI: 'mongodb://db/wa', REDIS_URL: 'redis://redis:6379', CREDENTIALS_ENCRYPTION_KEY: 'a'.repeat(64) };
    expect(validateEnvironment({ ...env, ...required })).toEqual(validateEnvironment(required));
  });
});
