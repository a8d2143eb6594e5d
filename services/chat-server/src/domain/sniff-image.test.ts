import { sniffImageType } from './sniff-image.ts';

const b64 = (s: string) => Buffer.from(s, 'base64');
const text = (s: string) => Buffer.from(s, 'latin1');

// Real 1x1 images (smallest valid files of each kind).
const PNG = b64('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==');
const JPEG = b64(
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
);
const GIF = b64('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7');
const WEBP = b64('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==');

describe('sniffImageType', () => {
  it.each([
    ['png', PNG, 'image/png'],
    ['jpg', JPEG, 'image/jpeg'],
    ['gif', GIF, 'image/gif'],
    ['webp', WEBP, 'image/webp'],
  ])('recognises a real %s file', (ext, bytes, contentType) => {
    expect(sniffImageType(bytes)).toEqual({ ext, contentType });
  });

  it('recognises GIF87a, EXIF JPEG and extended/lossy WebP headers', () => {
    expect(sniffImageType(text('GIF87a\x01\x00\x01\x00'))?.ext).toBe('gif');
    expect(sniffImageType(Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0x00, 0x10, 0x45, 0x78]))?.ext).toBe('jpg');
    expect(sniffImageType(text('RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00'))?.ext).toBe('webp');
    expect(sniffImageType(text('RIFF\x00\x00\x00\x00WEBPVP8 \x0a\x00\x00\x00'))?.ext).toBe('webp');
  });

  it('decides by the bytes only, whatever the upload claimed', () => {
    // The sniffer never sees the file name or content type: a JPEG sent as "photo.png" (image/png) is a JPEG.
    expect(sniffImageType(JPEG)?.contentType).toBe('image/jpeg');
    // ...and a text file sent as "photo.png" (image/png) is not an image at all.
    expect(sniffImageType(text('hello, I am really a text file\n'))).toBeNull();
  });

  it.each([
    ['empty input', Buffer.alloc(0)],
    ['a PNG signature alone', PNG.subarray(0, 8)],
    ['a PNG cut inside the IHDR tag', PNG.subarray(0, 14)],
    ['a JPEG SOI alone', Buffer.from([0xff, 0xd8])],
    ['a JPEG SOI and one marker byte', Buffer.from([0xff, 0xd8, 0xff])],
    ['a GIF cut after GIF8', text('GIF8')],
    ['a GIF with an unknown version', text('GIF88a\x01\x00')],
    ['a WebP cut before the chunk tag', WEBP.subarray(0, 12)],
    ['a RIFF that is not WebP (WAVE)', text('RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00')],
    ['a RIFF/WEBP with an unknown first chunk', text('RIFF\x00\x00\x00\x00WEBPABCD\x00\x00\x00\x00')],
  ])('refuses %s (truncated or wrong header)', (_name, bytes) => {
    expect(sniffImageType(bytes)).toBeNull();
  });

  it.each([
    ['plain text', text('just some words')],
    ['a PDF', text('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n')],
    ['an SVG', text('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')],
    ['an SVG without XML prolog', text('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')],
    ['HTML', text('<!doctype html><html><body><script>alert(1)</script></body></html>')],
    ['JSON', text('{"messageId":"x"}')],
    ['a ZIP', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00])],
    ['a BMP', text('BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00')],
    ['an image signature at an offset', Buffer.concat([text('xx'), PNG])],
  ])('refuses %s', (_name, bytes) => {
    expect(sniffImageType(bytes)).toBeNull();
  });
});
