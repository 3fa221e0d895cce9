import { attributeValueOf, attributeValueOfCell } from './contact-audience-fields';

describe('attribute values', () => {
  it('reads ISO 8601 dates as the moment they name, and refuses days that do not exist rather than rolling them over', () => {
    expect(attributeValueOf('2026-02-28')).toEqual({ ok: true, value: new Date('2026-02-28T00:00:00.000Z') });
    expect(attributeValueOf('2024-01-10T10:00:00+01:00')).toEqual({ ok: true, value: new Date('2024-01-10T09:00:00.000Z') });
    expect(attributeValueOf('2026-02-30')).toEqual({ ok: false, problem: '"2026-02-30" is not a real date' });
    expect(attributeValueOfCell('2025-13-01')).toEqual({ ok: false, problem: '"2025-13-01" is not a real date' });
    expect(attributeValueOf('2026-02-29T10:00:00Z')).toEqual({ ok: false, problem: '"2026-02-29T10:00:00Z" is not a real date' });
  });

  it('keeps other text, numbers and booleans as they are', () => {
    expect(attributeValueOf('Lagos')).toEqual({ ok: true, value: 'Lagos' });
    expect(attributeValueOfCell('0803')).toEqual({ ok: true, value: '0803' });
    expect(attributeValueOfCell('12')).toEqual({ ok: true, value: 12 });
    expect(attributeValueOf(false)).toEqual({ ok: true, value: false });
  });
});
