import { newTemplateProblems } from './template-shape';

describe('newTemplateProblems', () => {
  it('passes the shapes WhatsApp takes', () => {
    expect(
      newTemplateProblems(
        [
          { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}' },
          { type: 'BODY', text: 'Hi {{1}}, your order {{2}} ships {{2}}.' },
          { type: 'FOOTER', text: 'Reply STOP to opt out' },
          { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Track', url: 'https://shop.example.com/t/{{1}}' }, { type: 'QUICK_REPLY', text: 'Stop' }] },
        ],
        null,
        'UTILITY',
      ),
    ).toEqual([]);
    expect(newTemplateProblems([{ type: 'HEADER', format: 'IMAGE' }, { type: 'BODY', text: 'Hi {{first_name}}' }], 'NAMED', 'MARKETING')).toEqual([]);
  });

  it("takes an AUTHENTICATION template's preset body and footer, which have no text of their own", () => {
    expect(
      newTemplateProblems([{ type: 'BODY' }, { type: 'FOOTER' }, { type: 'BUTTONS', buttons: [{ type: 'OTP' }] }], null, 'AUTHENTICATION'),
    ).toEqual([]);
  });

  it('names a missing or empty BODY, and a component given twice', () => {
    expect(newTemplateProblems([{ type: 'FOOTER', text: 'x' }], null, 'UTILITY')).toEqual(['components must hold a BODY']);
    expect(newTemplateProblems([{ type: 'BODY' }], null, 'UTILITY')).toEqual(['components[0] (BODY) needs its text']);
    expect(newTemplateProblems([{ type: 'BODY', text: 'a' }, { type: 'BODY', text: 'b' }], null, 'UTILITY')).toEqual(['components may hold one BODY, not 2']);
  });

  it('names parameters with a gap, of the other form, or malformed', () => {
    expect(newTemplateProblems([{ type: 'BODY', text: 'Hi {{1}} and {{3}}' }], null, 'UTILITY')).toEqual([
      'components[0] (BODY) numbers its parameters {{1}}, {{3}}: they must run {{1}}, {{2}}... without a gap',
    ]);
    expect(newTemplateProblems([{ type: 'BODY', text: 'Hi {{name}}' }], null, 'UTILITY')).toEqual(['components[0] (BODY) has {{name}}: named parameters need parameter_format NAMED']);
    expect(newTemplateProblems([{ type: 'BODY', text: 'Hi {{1}}' }], 'NAMED', 'UTILITY')).toEqual(['components[0] (BODY) mixes {{1}} into NAMED parameters: name every parameter']);
    expect(newTemplateProblems([{ type: 'BODY', text: 'Hi {{First Name}}' }], null, 'UTILITY')[0]).toMatch(/has \{\{First Name\}\}: a parameter is \{\{1\}\}/);
  });

  it('names headers, footers and buttons that do not go together', () => {
    expect(
      newTemplateProblems(
        [
          { type: 'HEADER', format: 'IMAGE' },
          { type: 'BODY', text: 'Hi' },
          { type: 'FOOTER', text: 'Code {{1}}' },
          { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Go', url: 'javascript:alert(1)' }, { type: 'QUICK_REPLY' }, { type: 'PHONE_NUMBER', text: 'Call' }] },
        ],
        null,
        'UTILITY',
      ),
    ).toEqual([
      'components[2] (FOOTER) text is fixed: it takes no parameters',
      'components[3] (BUTTONS).buttons[0] (URL) needs a url starting with https:// or http://',
      'components[3] (BUTTONS).buttons[1] (QUICK_REPLY) needs its text',
      'components[3] (BUTTONS).buttons[2] (PHONE_NUMBER) needs its phone_number',
    ]);
    expect(newTemplateProblems([{ type: 'HEADER', format: 'TEXT', text: 'x'.repeat(61) }, { type: 'BODY', text: 'Hi' }, { type: 'BUTTONS', buttons: [] }], null, 'UTILITY')).toEqual([
      'components[0] (HEADER) text must be at most 60 characters',
      'components[2] (BUTTONS) needs at least one button',
    ]);
  });
});
