import type { MimeDecoder } from '../ports.js';

/**
 * Decodes a MIME message with mailparser: quoted-printable and base64 bodies, multiparts (every text part,
 * attachments included), CRLF line ends. mailparser is loaded on first use, so plain maildrops never pay for it.
 * @example
 * const texts = await decodeMimeMessage(messageBytes); // the text parts, decoded
 */
export const decodeMimeMessage: MimeDecoder = async (message) => {
  const { simpleParser } = await import('mailparser');
  const parsed = await simpleParser(Buffer.from(message.buffer, message.byteOffset, message.byteLength), {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
  });
  const texts: Uint8Array[] = [];
  if (parsed.text) texts.push(Buffer.from(parsed.text, 'utf8'));
  for (const attachment of parsed.attachments) {
    if (attachment.contentType.startsWith('text/')) texts.push(attachment.content);
  }
  return texts;
};
