/** Human-readable byte size: `512 B`, `12.3 KB`, `4.0 MB` (1 KB = 1024 bytes). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/**
 * Size in bytes of a mime value as it would be on disk: base64 payloads (images, PDFs) are
 * measured decoded; text and JSON by their UTF-8 length.
 */
export function mimeValueSize(mime: string, value: unknown): number {
  if (typeof value !== 'string') return Buffer.byteLength(JSON.stringify(value ?? null));
  if (isBinaryMime(mime) && BASE64.test(value)) {
    const compact = value.replace(/\s/g, '');
    const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
    return Math.floor((compact.length * 3) / 4) - padding;
  }
  return Buffer.byteLength(value);
}

/** Mime types whose values are not meaningful as text lines (stored as base64). */
export function isBinaryMime(mime: string): boolean {
  if (mime.startsWith('text/') || mime === 'image/svg+xml') return false;
  if (mime === 'application/json' || mime.endsWith('+json')) return false;
  if (mime === 'application/javascript' || mime === 'application/x-javascript') return false;
  return (
    mime.startsWith('image/') ||
    mime.startsWith('audio/') ||
    mime.startsWith('video/') ||
    mime.startsWith('application/')
  );
}
