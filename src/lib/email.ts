// The one email-address check: plausible shape and length, nothing more (a confirmation mail is the real test).
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && emailPattern.test(value);
}
