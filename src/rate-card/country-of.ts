import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { CountryCode } from 'libphonenumber-js/max';

/** The country of a stored recipient number (digits only, with its country code); undefined when libphonenumber cannot tell. */
export function countryOf(digits: string): CountryCode | undefined {
  return parsePhoneNumberFromString(`+${digits}`)?.country;
}
