// ESLint 9 flat config: typescript-eslint's type-checked recommended set over the TypeScript
// sources (src, test, bench, scripts), minus the rules that flag deliberate style here, plus
// eslint-config-prettier last so no rule can disagree with Prettier (.prettierrc.json).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // Only the TypeScript sources; bin/*.js and packaging/*.mjs are thin launchers.
    ignores: ['build/', 'dist/', 'coverage/', 'node_modules/', '.tools/', '.cache/', 'var/', '.quickstart/', '**/*.js', '**/*.mjs', '**/*.cjs'],
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      // tsconfig.test.json is the one program that covers src, bench, test and vitest.config.ts.
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_name` marks a parameter or binding kept on purpose (callback shapes, omitted-by-rest keys).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // Without noUncheckedIndexedAccess every `arr[i]!` counts as "unnecessary"; they document intent.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // `async` methods that satisfy a Promise-returning interface without awaiting are fine.
      '@typescript-eslint/require-await': 'off',
      // Hook objects and callbacks are declared with method syntax and passed around unbound by design.
      '@typescript-eslint/unbound-method': 'off',
      // Awaiting a promise returned from inside try/catch, so the catch sees its rejection.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // Type-only imports say so (inline, as the code already writes them); with verbatimModuleSyntax
      // `import { type A }` alone would still load the module, so that form is flagged too.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      // A new venue, data type or record kind must not fall through a switch unnoticed.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // Tests and fixtures poke at parsed JSON through `any` on purpose.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  prettier,
);
