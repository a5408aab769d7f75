// Structured JSON logs that can never carry a secret: known fields are redacted and every line is scrubbed.
import pino, { type DestinationStream, type Logger } from 'pino';
import { hasKeyInUrlText } from './lib/url-keys.ts';

const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'password',
  '*.password',
  'owner_password',
  '*.owner_password',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'operatorToken',
  // identity data (KYC/KYB) is never logged, even if a body or row ends up in a log call by mistake
  'id_number',
  '*.id_number',
  'identity',
  '*.identity',
  'date_of_birth',
  '*.date_of_birth',
];

// Whatever slips past the field list — a key inside an error message, a URL, a stack — is caught here. The second
// pattern is a key's secret part with its "pik_" spelled some other way.
const secretPatterns = [/pik_(?:test|live)_[0-9A-Za-z]+/g, /(?:test|live)_[0-9A-Za-z]{38}/g, /whsec_[0-9A-Za-z+/]+={0,2}/g, /pikop_[0-9A-Za-z]+/g];
// A run of URL characters holding a percent-escape: it may spell a key ("%70ik_test_…", "%2570%69k_…"), so each such
// run is decoded the way lib/url-keys.ts decodes URLs and withheld whole if any form of it holds a key.
const escapedRun = /[0-9A-Za-z_.~+%-]*%[0-9A-Fa-f]{2}[0-9A-Za-z_.~+%-]*/g;

export function scrubSecrets(text: string, literals: readonly string[] = []): string {
  let out = text.includes('%') ? text.replace(escapedRun, (run) => (hasKeyInUrlText(run) ? '[REDACTED]' : run)) : text;
  // Only the prefix is kept ("pik_test_", "whsec_"): not one character of the secret after it.
  for (const pattern of secretPatterns) out = out.replace(pattern, (m) => `${m.slice(0, m.lastIndexOf('_', 9) + 1)}[REDACTED]`);
  for (const literal of literals) if (literal) out = out.split(literal).join('[REDACTED]');
  return out;
}

export function createLogger(level: string, options: { secrets?: string[]; destination?: DestinationStream } = {}): Logger {
  const literals = options.secrets ?? [];
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: '[REDACTED]' },
      hooks: { streamWrite: (line) => scrubSecrets(line, literals) },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
