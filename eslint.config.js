// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/** Folders that must not import each other: shared/ is the base, server/ and workers/ are siblings. */
const boundary = (/** @type {string[]} */ forbidden, /** @type {string[]} */ browserOnly = []) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        ...forbidden.map((dir) => ({
          group: [`**/${dir}/**`],
          message: `Do not import ${dir}/ from here: share it through shared/.`,
        })),
        ...browserOnly.map((group) => ({
          group: [group],
          message: 'Browser code: only shared/contract/ and browser packages, never Node.',
        })),
      ],
    },
  ],
});

/** What browser code (and the contract it shares with Node) may never import. */
const NODE_ONLY = ['node:*', '**/shared/domain/**', '**/shared/infra/**'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.data/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  { files: ['shared/**/*.ts'], rules: boundary(['server', 'workers']) },
  { files: ['server/**/*.ts'], rules: boundary(['workers']) },
  // The widget and dashboard bundles run in publishers' pages and newsroom browsers.
  {
    files: ['server/web/{widget,dashboard,common}/**/*.ts'],
    rules: boundary(['workers', 'server/http', 'server/realtime', 'server/launch'], NODE_ONLY),
  },
  { files: ['shared/contract/**/*.ts'], rules: boundary(['server', 'workers'], NODE_ONLY) },
  { files: ['workers/**/*.ts'], rules: boundary(['server']) },
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-non-null-assertion': 'off' } },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  // Runnable examples for users: plain JavaScript for Node, so copying one needs no build.
  {
    files: ['examples/**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
  prettier,
);
