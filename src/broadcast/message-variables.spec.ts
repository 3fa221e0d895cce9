import { keepUsedVariables, missingVariables, placeholdersOf, renderTemplateComponents, renderVariables, requiredVariableNames } from './message-variables';

describe('message variables', () => {
  it('fills placeholders, with the fallback after | when a value is missing or empty', () => {
    expect(renderVariables('Hi {{name}}, {{ greeting | good day }}!', { name: 'Ada', greeting: '' })).toBe('Hi Ada,  good day !');
    expect(renderVariables('Hi {{name|friend}}', undefined)).toBe('Hi friend');
    expect(renderVariables('{{name}}{{name}}', { name: 'x' })).toBe('xx');
  });

  it('leaves braces that are not placeholders as written', () => {
    expect(renderVariables('{{ 1abc }} {{a-b}} {single} {{}}', { a: 'x' })).toBe('{{ 1abc }} {{a-b}} {single} {{}}');
  });

  it('finds placeholders in the text and at any depth of template components', () => {
    const content = {
      text: 'Hi {{name}}',
      template: { components: [{ type: 'body', parameters: [{ type: 'text', text: '{{order|?}}' }, { type: 'currency', currency: { fallback_value: '{{amount}}' } }] }] },
    };
    expect(placeholdersOf(content).map(({ name }) => name)).toEqual(['name', 'order', 'amount']);
    expect(requiredVariableNames(content)).toEqual(['name', 'amount']);
    expect(renderTemplateComponents(content.template.components, { amount: '5 USD' })).toEqual([
      { type: 'body', parameters: [{ type: 'text', text: '?' }, { type: 'currency', currency: { fallback_value: '5 USD' } }] },
    ]);
  });

  it("never takes a name every object inherits for a recipient's value", () => {
    expect(renderVariables('Hi {{name}} / {{constructor}} / {{toString|x}} / {{valueOf}}', { name: 'Ada' })).toBe('Hi Ada /  / x / ');
    expect(missingVariables(['constructor', 'toString', 'hasOwnProperty'], {})).toEqual(['constructor', 'toString', 'hasOwnProperty']);
    expect(keepUsedVariables({ name: 'Ada' }, ['name', 'toString'])).toEqual({ name: 'Ada' });
  });

  it('names the required variables a recipient lacks, and keeps only the variables the message uses', () => {
    expect(missingVariables(['name', 'order'], { name: 'Ada', order: '' })).toEqual(['order']);
    expect(keepUsedVariables({ name: 'Ada', city: 'Lagos', order: '' }, ['name', 'order'])).toEqual({ name: 'Ada' });
    expect(keepUsedVariables({ city: 'Lagos' }, ['name'])).toBeUndefined();
  });
});
