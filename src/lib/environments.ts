// The environments PIK serves: each has its own database schema, its own API keys and its own accounts.
export const environments = ['sandbox', 'production'] as const;
export type Environment = (typeof environments)[number];

export function isEnvironment(value: string): value is Environment {
  return (environments as readonly string[]).includes(value);
}
