import { ProviderError, SendRequest, SendResult, WhatsappProvider } from '@app/whatsapp';
import { AppMetrics } from './app-metrics';

/** A provider whose calls are counted and timed; otherwise the provider itself. */
export class MeteredProvider implements WhatsappProvider {
  constructor(
    private readonly provider: WhatsappProvider,
    private readonly metrics: AppMetrics,
  ) {}

  get name(): WhatsappProvider['name'] {
    return this.provider.name;
  }

  async send(request: SendRequest): Promise<SendResult> {
    const started = process.hrtime.bigint();
    const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const result = await this.provider.send(request);
      this.metrics.recordProviderSent(this.name, seconds());
      return result;
    } catch (error) {
      this.metrics.recordProviderFailed(this.name, error instanceof ProviderError ? error : 'internal', seconds());
      throw error;
    }
  }
}
