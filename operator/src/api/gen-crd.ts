import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { chatClusterCrd } from './crd.ts';

/** Where the chart keeps the CRD (Helm installs crds/ before templates and never deletes it on uninstall). */
export const CRD_FILE = fileURLToPath(new URL('../../../charts/chat-operator/crds/chatclusters.chat.sunsu.dev.yaml', import.meta.url));

export function renderCrdYaml(): string {
  return `# Generated from operator/src/api/crd.ts by \`node operator/src/api/gen-crd.ts\`. Do not edit by hand.\n${stringify(chatClusterCrd(), { lineWidth: 0 })}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(CRD_FILE, renderCrdYaml());
  console.log(`wrote ${CRD_FILE}`);
}
