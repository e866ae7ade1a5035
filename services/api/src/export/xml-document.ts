import { XMLBuilder } from 'fast-xml-parser';

/**
 * fast-xml-parser's builder lays out the document; escaping is done here rather than by its entity
 * processing because neither it nor xmlbuilder2 escapes tab, CR and LF inside attribute values (a
 * parser would read them back as spaces, so a label with a newline would not survive), and
 * xmlbuilder2 leaves `&amp;`-looking text unescaped (a label `AT&amp;T` would read back as `AT&T`).
 */
const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
  suppressBooleanAttributes: false,
  processEntities: false,
  attributeValueProcessor: (_name, value) => escapeXml(String(value)),
  tagValueProcessor: (_name, value) => escapeXml(String(value)),
});

/** An element as the builder takes it: `@name` keys are attributes, `#text` is text, others children. */
export type XmlElement = { [key: string]: string | XmlElement | XmlElement[] };

export function buildXml(root: string, element: XmlElement): string {
  const body = builder.build({ [root]: element }) as string;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

// Characters XML 1.0 cannot hold at all, even as references: C0 controls but tab/LF/CR, lone
// surrogates, U+FFFE and U+FFFF. They become U+FFFD so the document stays well-formed.
const NOT_XML_CHAR =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function escapeXml(value: string): string {
  return value.replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>"'\t\n\r]/g, (char) => ENTITIES[char]!);
}
