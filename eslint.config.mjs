// ESLint flat config: typescript-eslint's type-checked rules on src, test and the tools; Prettier owns layout.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const TEST_FILES = ['test/**/*.ts', 'src/**/*.spec.ts', 'bench/**/*.ts', 'scripts/**/*.ts'];

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', '.data/', 'bench-results/', '.scratch/', 'test/snapshots/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // One program for everything: test/tsconfig.json covers src, its specs, test and the tools (the root
        // tsconfig leaves the specs out, so a per-file project lookup would not find them).
        project: ['./test/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // experimentalDecorators + emitDecoratorMetadata are read from the tsconfig: the rule then leaves files with
      // decorators alone, so constructor-injected classes and DTOs stay value imports for Nest's metadata.
      // `typeof import('…')` stays allowed: it types a module loaded lazily with require() or createRequire().
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'separate-type-imports', disallowTypeAnnotations: false },
      ],
      // A leading underscore marks a parameter or binding kept for its position; `{ omitted, ...rest }` drops a key.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Input validation matches control characters (NUL, C0) on purpose.
      'no-control-regex': 'off',
      // String(value) of an unknown log field or driver error is how this code prints values of unknown shape.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    files: TEST_FILES,
    rules: {
      // Response bodies (supertest's `any`), parsed log lines and SQL rows are JSON read by shape in specs and
      // tools; typing each one is churn the assertions already cover.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Conditions passed to waitFor() and batch functions are async to fit a Promise-returning signature.
      '@typescript-eslint/require-await': 'off',
      // expect(object.method) and indexed reads of config objects are not calls.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly' },
    },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      // The .js files are CommonJS modules loaded by Jest and `node -r`.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  prettier,
);
