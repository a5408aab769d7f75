// Lint rules: the recommended sets, plus the layering rule that keeps domain code free of HTTP.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules', '.pik', 'test/.cache', 'test-results', 'dist', 'packages/*/dist'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The browser scripts: the dashboard's and the hosted payment page's.
    files: ['src/dashboard/public/**/*.js', 'src/dashboard/pay/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser }, sourceType: 'script' },
  },
  {
    files: ['src/domain/**', 'src/db/**', 'src/lib/**', 'src/auth/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['fastify', '@fastify/*', '**/http/**'], message: 'domain, auth, db and lib code never import the HTTP layer' }] }],
    },
  },
);
