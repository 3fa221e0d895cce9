import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config';

export type OptOutIntent = 'opt-out' | 'opt-in';

/** The configured opt-out (OPT_OUT_KEYWORDS) and opt-in (OPT_IN_KEYWORDS) keywords. */
@Injectable()
export class OptOutKeywords {
  private readonly optOut: ReadonlySet<string>;
  private readonly optIn: ReadonlySet<string>;

  constructor(config: AppConfig) {
    this.optOut = new Set(config.inbound.optOutKeywords);
    this.optIn = new Set(config.inbound.optInKeywords);
  }

  /** What a message's text asks for: the whole text, trimmed, in any case, must be a keyword ("stop please" is not). */
  intentOf(text: string | null): OptOutIntent | null {
    const word = text?.trim().toUpperCase();
    if (!word) return null;
    if (this.optOut.has(word)) return 'opt-out';
    if (this.optIn.has(word)) return 'opt-in';
    return null;
  }
}
