// Worker threads run compiled JavaScript: the dist/ file of a module, also
// when the main thread runs the TypeScript sources (vitest).

/**
 * The URL of the compiled file of module `moduleUrl` (pass `import.meta.url`):
 * itself when it already is a .js file, else src/X.ts -> dist/X.js (the
 * layout of tsconfig.json: rootDir src, outDir dist).
 */
export function distModuleUrl(moduleUrl: string): string {
  if (!moduleUrl.endsWith('.ts')) return moduleUrl;
  const i = moduleUrl.lastIndexOf('/src/');
  if (i < 0) throw new Error(`cannot find the dist/ file of ${moduleUrl}: not under src/`);
  return `${moduleUrl.slice(0, i)}/dist/${moduleUrl.slice(i + 5, -3)}.js`;
}
