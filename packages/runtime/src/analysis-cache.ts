// How the runtime admits the documents it is asked about (explain, estimate): incrementally, so an editor's
// keystroke reaches the engine's kept analysis without a walk over every unchanged node (decision 0047).
import { type Admission, canonicalJson, containsSecret, createDocumentAdmission } from '@loraflow/core';

/**
 * core's `createDocumentAdmission` refusing any part that holds one of the runtime's secrets: the
 * same verdict as `loadDocument(input, { keepIdentity: true })` followed by a secret search of the
 * whole document, at the cost of the parts not admitted before.
 *
 * @example
 * const admit = createQuestionAdmission([apiKey]);
 * const a = admit(doc);
 * if (!a.ok && a.refused) refuseAsSecret();
 */
export function createQuestionAdmission(secrets: readonly string[]): (input: unknown) => Admission {
  return createDocumentAdmission(
    secrets.length > 0 ? { refuses: (value) => containsSecret(canonicalJson(value), secrets) } : {},
  );
}
