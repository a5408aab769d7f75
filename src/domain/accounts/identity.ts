// Identity submissions (KYC for individuals, KYB for businesses): validated as a compliance team would, then normalised.
// Pure functions: no database, no clock of their own (`today` is passed in). Error messages never echo the submitted values.
import { isCountryCode } from '../../lib/countries.ts';
import { invalidField } from '../../lib/errors.ts';
import { codePointLength } from '../../lib/text.ts';

export const idTypes = ['passport', 'drivers_licence', 'national_id'] as const;
export type IdType = (typeof idTypes)[number];

export const businessTypes = ['company', 'partnership', 'trust', 'sole_trader', 'non_profit'] as const;
export type BusinessType = (typeof businessTypes)[number];

export interface AddressInput {
  line1: string;
  line2?: string | undefined;
  city: string;
  state?: string | undefined;
  postcode?: string | undefined;
  country: string;
}

export interface KycInput {
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  nationality: string;
  idType: string;
  idNumber: string;
  address: AddressInput;
}

export interface BeneficialOwnerInput {
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  nationality: string;
  /** A JSON number from 25 to 100 with at most two decimals. */
  ownershipPercentage: number;
}

export interface KybInput {
  legalName: string;
  registrationNumber: string;
  countryOfIncorporation: string;
  businessType: string;
  registeredAddress: AddressInput;
  beneficialOwners: BeneficialOwnerInput[];
  /** The platform confirms that every holder of 25 % or more is in beneficialOwners: the one thing we cannot check. */
  beneficialOwnersComplete: boolean;
}

export interface Address {
  line1: string;
  line2: string | null;
  city: string;
  state: string | null;
  postcode: string | null;
  country: string;
}

export interface KycIdentity {
  first_name: string;
  last_name: string;
  date_of_birth: string;
  nationality: string;
  id_type: IdType;
  id_number: string;
  address: Address;
}

export interface BeneficialOwner {
  first_name: string;
  last_name: string;
  date_of_birth: string;
  nationality: string;
  /** Hundredths of a percent (basis points), so totals are exact integers. */
  ownership_basis_points: number;
}

export interface KybIdentity {
  legal_name: string;
  registration_number: string;
  country_of_incorporation: string;
  business_type: BusinessType;
  registered_address: Address;
  beneficial_owners: BeneficialOwner[];
}

/** The minimum ownership that makes someone a beneficial owner who must be listed. */
export const beneficialOwnerThresholdBasisPoints = 2500;
const maxAgeYears = 120;
export const minimumAgeYears = 18;

// Control characters and angle brackets have no place in a name or an address line.
// eslint-disable-next-line no-control-regex
const forbiddenText = /[\u0000-\u001f\u007f<>]/;
const hasLetter = /\p{L}/u;
// A lone UTF-16 surrogate cannot be stored as text or jsonb (PostgreSQL refuses it): a 400 here, never a 500 later.
const loneSurrogate = /\p{Cs}/u;

function text(field: string, value: string | undefined, options: { max: number; required: boolean; needsLetter?: boolean }): string | null {
  const trimmed = (value ?? '').trim().replace(/\s+/g, ' ');
  if (trimmed.length === 0) {
    if (options.required) throw invalidField(field, `${field} is required and cannot be blank.`);
    return null;
  }
  if (codePointLength(trimmed) > options.max) throw invalidField(field, `${field} must be at most ${options.max} characters.`);
  if (forbiddenText.test(trimmed) || loneSurrogate.test(trimmed)) throw invalidField(field, `${field} contains characters that are not allowed.`);
  if (options.needsLetter && !hasLetter.test(trimmed)) throw invalidField(field, `${field} must contain letters.`);
  return trimmed;
}

function requiredText(field: string, value: string | undefined, max: number, needsLetter = false): string {
  return text(field, value, { max, required: true, needsLetter }) as string;
}

function country(field: string, value: string): string {
  if (!isCountryCode(value)) throw invalidField(field, `${field} must be an ISO 3166-1 alpha-2 code in capitals, such as "AU".`);
  return value;
}

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar date in YYYY-MM-DD (no 2001-02-29), as UTC midnight. */
export function parseDate(value: string): Date | undefined {
  const match = datePattern.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return date;
}

/** Whole years between a birth date and `today`, counting a 29 February birthday as reached on 1 March in other years. */
export function ageInYears(birth: Date, today: Date): number {
  let age = today.getUTCFullYear() - birth.getUTCFullYear();
  const beforeBirthday =
    today.getUTCMonth() < birth.getUTCMonth() || (today.getUTCMonth() === birth.getUTCMonth() && today.getUTCDate() < birth.getUTCDate());
  if (beforeBirthday) age--;
  return age;
}

function birthDate(field: string, value: string, today: Date, minimumAge: number): string {
  const date = parseDate(value);
  if (!date) throw invalidField(field, `${field} must be a real date written YYYY-MM-DD.`);
  if (date.getTime() > today.getTime()) throw invalidField(field, `${field} cannot be in the future.`);
  const age = ageInYears(date, today);
  if (age > maxAgeYears) throw invalidField(field, `${field} is more than ${maxAgeYears} years ago; check the year.`);
  if (age < minimumAge) throw invalidField(field, `${field}: the person must be at least ${minimumAge} years old.`);
  return value;
}

/** Australian states and territories, with the postcode ranges Australia Post assigns to each (a Map: the state comes from input). */
const auPostcodeRanges = new Map<string, [number, number][]>([
  ['NSW', [[1000, 2599], [2619, 2899], [2921, 2999]]],
  ['ACT', [[200, 299], [2600, 2618], [2900, 2920]]],
  ['VIC', [[3000, 3999], [8000, 8999]]],
  ['QLD', [[4000, 4999], [9000, 9999]]],
  ['SA', [[5000, 5799], [5800, 5999]]],
  ['WA', [[6000, 6797], [6800, 6999]]],
  ['TAS', [[7000, 7799], [7800, 7999]]],
  ['NT', [[800, 899], [900, 999]]],
]);
export const auStates = [...auPostcodeRanges.keys()];

export function isPlausibleAuPostcode(state: string, postcode: string): boolean {
  if (!/^\d{4}$/.test(postcode)) return false;
  const value = Number(postcode);
  return (auPostcodeRanges.get(state) ?? []).some(([low, high]) => value >= low && value <= high);
}

function address(field: string, input: AddressInput): Address {
  const countryCode = country(`${field}.country`, input.country);
  const line1 = requiredText(`${field}.line1`, input.line1, 200, true);
  const line2 = text(`${field}.line2`, input.line2, { max: 200, required: false });
  const city = requiredText(`${field}.city`, input.city, 100, true);
  if (countryCode === 'AU') {
    const state = (input.state ?? '').trim().toUpperCase();
    if (!auStates.includes(state)) throw invalidField(`${field}.state`, `${field}.state must be one of ${auStates.join(', ')} for an Australian address.`);
    const postcode = (input.postcode ?? '').trim();
    if (!/^\d{4}$/.test(postcode)) throw invalidField(`${field}.postcode`, `${field}.postcode must be 4 digits for an Australian address.`);
    if (!isPlausibleAuPostcode(state, postcode)) throw invalidField(`${field}.postcode`, `${field}.postcode is not a postcode of ${state}.`);
    return { line1, line2, city, state, postcode, country: countryCode };
  }
  const state = text(`${field}.state`, input.state, { max: 100, required: false });
  const postcode = text(`${field}.postcode`, input.postcode, { max: 20, required: false });
  if (postcode !== null && !/^[A-Za-z0-9][A-Za-z0-9 -]*$/.test(postcode)) {
    throw invalidField(`${field}.postcode`, `${field}.postcode may contain only letters, digits, spaces and hyphens.`);
  }
  return { line1, line2, city, state, postcode: postcode?.toUpperCase() ?? null, country: countryCode };
}

/** Id numbers are compared and stored without spaces or hyphens, in capitals. */
function idNumber(field: string, idType: IdType, value: string): string {
  const normalised = value.replace(/[\s-]/g, '').toUpperCase();
  const [min, max] = idType === 'passport' ? [6, 12] : [4, 20];
  if (!/^[A-Z0-9]+$/.test(normalised) || normalised.length < min || normalised.length > max) {
    throw invalidField(field, `${field} must be ${min} to ${max} letters or digits for a ${idType.replace('_', ' ')}.`);
  }
  return normalised;
}

/** "••••••6789": enough to recognise, never enough to reuse. Short numbers show fewer characters. */
export function maskIdNumber(value: string): string {
  const visible = value.length >= 8 ? 4 : 2;
  return `${'•'.repeat(Math.max(value.length - visible, 4))}${value.slice(-visible)}`;
}

export function validateKyc(input: KycInput, today: Date): KycIdentity {
  const firstName = requiredText('first_name', input.firstName, 100, true);
  const lastName = requiredText('last_name', input.lastName, 100, true);
  const dateOfBirth = birthDate('date_of_birth', input.dateOfBirth, today, minimumAgeYears);
  const nationality = country('nationality', input.nationality);
  if (!(idTypes as readonly string[]).includes(input.idType)) throw invalidField('id_type', `id_type must be one of ${idTypes.join(', ')}.`);
  const idType = input.idType as IdType;
  return {
    first_name: firstName,
    last_name: lastName,
    date_of_birth: dateOfBirth,
    nationality,
    id_type: idType,
    id_number: idNumber('id_number', idType, input.idNumber),
    address: address('address', input.address),
  };
}

/** ABN: 11 digits, weighted checksum modulo 89 (after subtracting 1 from the first digit). */
export function isValidAbn(digits: string): boolean {
  if (!/^\d{11}$/.test(digits)) return false;
  const weights = [10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19];
  const sum = [...digits].reduce((acc, d, i) => acc + (Number(d) - (i === 0 ? 1 : 0)) * (weights[i] ?? 0), 0);
  return sum % 89 === 0;
}

/** ACN: 9 digits, the last a check digit over the first eight with weights 8…1. */
export function isValidAcn(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const sum = [...digits.slice(0, 8)].reduce((acc, d, i) => acc + Number(d) * (8 - i), 0);
  return (10 - (sum % 10)) % 10 === Number(digits[8]);
}

function registrationNumber(field: string, countryOfIncorporation: string, value: string): string {
  if (countryOfIncorporation === 'AU') {
    const digits = value.replace(/\s/g, '');
    if (!isValidAbn(digits) && !isValidAcn(digits)) {
      throw invalidField(field, `${field} must be a valid ABN (11 digits) or ACN (9 digits) for an Australian business.`);
    }
    return digits;
  }
  const normalised = value.trim().toUpperCase();
  if (!/^[A-Z0-9][A-Z0-9 ./-]{1,49}$/.test(normalised)) {
    throw invalidField(field, `${field} must be 2 to 50 letters, digits, spaces, dots, slashes or hyphens.`);
  }
  return normalised;
}

function ownershipBasisPoints(field: string, percentage: number): number {
  const basisPoints = Math.round(percentage * 100);
  if (!Number.isFinite(percentage) || Math.abs(basisPoints - percentage * 100) > 1e-6) {
    throw invalidField(field, `${field} must be a number with at most two decimals, such as 25 or 33.33.`);
  }
  if (basisPoints < beneficialOwnerThresholdBasisPoints || basisPoints > 10_000) {
    throw invalidField(field, `${field} must be from 25 to 100: list every holder of 25 % or more, and only them.`);
  }
  return basisPoints;
}

export function validateKyb(input: KybInput, today: Date): KybIdentity {
  const legalName = requiredText('legal_name', input.legalName, 200, true);
  const countryOfIncorporation = country('country_of_incorporation', input.countryOfIncorporation);
  const registration = registrationNumber('registration_number', countryOfIncorporation, input.registrationNumber);
  if (!(businessTypes as readonly string[]).includes(input.businessType)) {
    throw invalidField('business_type', `business_type must be one of ${businessTypes.join(', ')}.`);
  }
  const registeredAddress = address('registered_address', input.registeredAddress);
  if (input.beneficialOwnersComplete !== true) {
    throw invalidField(
      'beneficial_owners_complete',
      'beneficial_owners_complete must be true: confirm that every person holding 25 % or more of the business is listed.',
    );
  }
  const owners = input.beneficialOwners.map((owner, i): BeneficialOwner => {
    const at = `beneficial_owners.${i}`;
    return {
      first_name: requiredText(`${at}.first_name`, owner.firstName, 100, true),
      last_name: requiredText(`${at}.last_name`, owner.lastName, 100, true),
      date_of_birth: birthDate(`${at}.date_of_birth`, owner.dateOfBirth, today, 0),
      nationality: country(`${at}.nationality`, owner.nationality),
      ownership_basis_points: ownershipBasisPoints(`${at}.ownership_percentage`, owner.ownershipPercentage),
    };
  });
  const seen = new Set<string>();
  owners.forEach((owner, i) => {
    const identityKey = `${owner.first_name.toLowerCase()}|${owner.last_name.toLowerCase()}|${owner.date_of_birth}`;
    if (seen.has(identityKey)) throw invalidField(`beneficial_owners.${i}`, `beneficial_owners.${i} lists the same person twice.`);
    seen.add(identityKey);
  });
  const total = owners.reduce((sum, owner) => sum + owner.ownership_basis_points, 0);
  if (total > 10_000) throw invalidField('beneficial_owners', 'The ownership percentages of beneficial_owners add up to more than 100.');
  if (input.businessType === 'sole_trader' && (owners.length !== 1 || owners[0]?.ownership_basis_points !== 10_000)) {
    throw invalidField('beneficial_owners', 'A sole_trader has exactly one beneficial owner holding 100 %.');
  }
  return {
    legal_name: legalName,
    registration_number: registration,
    country_of_incorporation: countryOfIncorporation,
    business_type: input.businessType as BusinessType,
    registered_address: registeredAddress,
    beneficial_owners: owners,
  };
}
