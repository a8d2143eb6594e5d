/**
 * Image type from the bytes themselves (magic numbers). The client's file name and content type are never
 * trusted: what is stored and served is decided here, so a text or HTML file called `x.png` is refused.
 */
export const IMAGE_TYPES = [
  { ext: 'png', contentType: 'image/png' },
  { ext: 'jpg', contentType: 'image/jpeg' },
  { ext: 'gif', contentType: 'image/gif' },
  { ext: 'webp', contentType: 'image/webp' },
] as const;

export type ImageType = (typeof IMAGE_TYPES)[number];

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const startsWith = (bytes: Uint8Array, prefix: readonly number[], offset = 0) =>
  bytes.length >= offset + prefix.length && prefix.every((b, i) => bytes[offset + i] === b);

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

function find(ext: ImageType['ext']): ImageType {
  return IMAGE_TYPES.find((t) => t.ext === ext)!;
}

/** The image type of `bytes`, or null when they are not (or not enough of) a PNG, JPEG, GIF or WebP. */
export function sniffImageType(bytes: Uint8Array): ImageType | null {
  // PNG: 8-byte signature, then the first chunk must be IHDR (rules out a bare signature glued onto other data).
  if (startsWith(bytes, PNG_SIGNATURE) && startsWith(bytes, ascii('IHDR'), 12)) return find('png');
  // JPEG: SOI marker followed by the start of another marker.
  if (startsWith(bytes, [0xff, 0xd8, 0xff]) && bytes.length >= 4) return find('jpg');
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return find('gif');
  // WebP: RIFF container of form WEBP whose first chunk is VP8 (lossy), VP8L (lossless) or VP8X (extended).
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8) && ['VP8 ', 'VP8L', 'VP8X'].some((c) => startsWith(bytes, ascii(c), 12))) {
    return find('webp');
  }
  return null;
}
