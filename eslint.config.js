// Flat config: type-aware typescript-eslint rules, layering bans, and the
// "time only through schedulers" rule for the protocol and operator layers.
import { defineConfig, globalIgnores } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const noRawTime = [
  { name: 'setTimeout', message: 'Use an RxJS scheduler (timer, timeout) so time is marble-testable.' },
  { name: 'setInterval', message: 'Use an RxJS scheduler (interval) so time is marble-testable.' },
  { name: 'Date', message: 'Use scheduler.now() so time is marble-testable.' },
  { name: 'Buffer', message: 'Use Uint8Array in library code.' },
];

export default defineConfig(
  globalIgnores(['dist/', 'docs/api/', 'node_modules/', 'coverage/']),
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'bin/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^fp-ts/(?!lib/).*', message: "Import fp-ts through 'fp-ts/lib/*.js'." },
            { regex: '^io-ts/(?!lib/).*', message: "Import io-ts through 'io-ts' or 'io-ts/lib/*.js'." },
          ],
        },
      ],
    },
  },
  {
    files: ['lib/operators/**/*.ts', 'lib/protocols/**/*.ts'],
    ignores: ['lib/protocols/**/simulator/cli*.ts'],
    rules: { 'no-restricted-globals': ['error', ...noRawTime] },
  },
  {
    files: ['lib/**/*.ts'],
    ignores: ['lib/transport/serialport.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'serialport', message: 'Only lib/transport/serialport.ts imports serialport.' }],
          patterns: [
            { regex: '^fp-ts/(?!lib/).*', message: "Import fp-ts through 'fp-ts/lib/*.js'." },
            {
              regex: '^@noble/ciphers',
              message: 'Only lib/protocols/essp/crypto/aes.ts imports @noble/ciphers.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['lib/protocols/essp/crypto/aes.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['spec/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-floating-promises': 'off',
    },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  prettier,
);
