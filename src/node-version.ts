// Imported first by every entry point (the library, `switchboard/gateway`, `switchboard/ai-sdk`,
// the CLI), so that on a Node too old for Switchboard the process stops with one line naming the
// version needed, before any dependency loads: undici 8 fails on Node 20 with
// "TypeError: Cannot read properties of undefined (reading 'bind')" from its zstd support.
// Modules are evaluated in import order, so nothing after this import runs on an old Node.

/** The oldest Node Switchboard runs on; `engines.node` in package.json says the same. */
export const nodeVersionNeeded = '22.18';

/** True when `version` (`22.17.1`) is at least `nodeVersionNeeded`. */
export function isSupportedNode(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [needMajor = 0, needMinor = 0] = nodeVersionNeeded.split('.').map(Number);
  return major > needMajor || (major === needMajor && minor >= needMinor);
}

if (!isSupportedNode(process.versions.node)) {
  process.stderr.write(`switchboard needs Node ${nodeVersionNeeded} or newer; this is Node ${process.versions.node}.\n`);
  process.exit(1);
}
