import type { TemplateDefinition } from './template-definition';
import { templateSendProblems } from './template-send-rules';

const text = (value: string) => ({ type: 'text', text: value });

describe('templateSendProblems', () => {
  const named: TemplateDefinition = {
    name: 'greeting',
    language: 'en',
    parameter_format: 'NAMED',
    components: [{ type: 'BODY', text: 'Hi {{first_name}}, welcome to {{shop}}.' }],
  };

  it('checks NAMED parameters by their parameter_name: each given, none unknown', () => {
    expect(templateSendProblems(named, [{ type: 'body', parameters: [{ ...text('Ada'), parameter_name: 'first_name' }, { ...text('x'), parameter_name: 'city' }] }])).toEqual([
      'template greeting (en): body parameter "city" is not one of the template\'s: {{first_name}}, {{shop}}',
      'template greeting (en): body parameter {{shop}} is missing',
    ]);
    expect(templateSendProblems(named, [{ type: 'body', parameters: [{ ...text('Ada'), parameter_name: 'first_name' }, { ...text('Bolu'), parameter_name: 'shop' }] }])).toEqual([]);
  });

  it('checks a TEXT header parameter and its length once filled in', () => {
    const definition: TemplateDefinition = { name: 'notice', language: 'en_US', components: [{ type: 'HEADER', format: 'TEXT', text: 'Order {{1}}' }, { type: 'BODY', text: 'Ready.' }] };
    expect(templateSendProblems(definition, [])).toEqual(['template notice (en_US): header parameter {{1}} is missing (a text parameter: { "type": "text", "text": "..." })']);
    expect(templateSendProblems(definition, [{ type: 'header', parameters: [text('x'.repeat(60))] }])).toEqual([
      'template notice (en_US): the header is 66 characters once filled in; at most 60',
    ]);
    expect(templateSendProblems(definition, [{ type: 'HEADER', parameters: [text('#1042')] }])).toEqual([]);
  });

  it('checks a LOCATION header and a COPY_CODE button', () => {
    const definition: TemplateDefinition = {
      name: 'pickup',
      language: 'en',
      components: [{ type: 'HEADER', format: 'LOCATION' }, { type: 'BODY', text: 'Your code:' }, { type: 'BUTTONS', buttons: [{ type: 'COPY_CODE', text: 'Copy' }] }],
    };
    expect(
      templateSendProblems(definition, [
        { type: 'header', parameters: [{ type: 'location', location: { latitude: 91, longitude: 3 } }] },
        { type: 'button', sub_type: 'copy_code', index: 0, parameters: [{ type: 'coupon_code', coupon_code: 'TOO-LONG-A-CODE-1' }] },
      ]),
    ).toEqual([
      'template pickup (en): header location needs a latitude (-90 to 90) and a longitude (-180 to 180)',
      'template pickup (en): button 0 coupon_code is 17 characters; at most 15',
    ]);
    expect(
      templateSendProblems(definition, [
        { type: 'header', parameters: [{ type: 'location', location: { latitude: '6.55', longitude: '3.27', name: 'Shop' } }] },
        { type: 'button', sub_type: 'copy_code', index: '0', parameters: [{ type: 'coupon_code', coupon_code: 'SAVE20' }] },
      ]),
    ).toEqual([]);
  });

  it('refuses components it does not know and buttons the template lacks', () => {
    const definition: TemplateDefinition = { name: 'plain', language: 'en', components: [{ type: 'BODY', text: 'Hello.' }] };
    expect(templateSendProblems(definition, [{ type: 'footer' }, { type: 'button', sub_type: 'url', index: '3', parameters: [text('x')] }])).toEqual([
      'template plain (en): component type "footer" is not header, body or button',
      'template plain (en): button index 3 has no dynamic part to give (the template\'s buttons: none)',
    ]);
  });
});
