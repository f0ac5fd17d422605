import postcss from 'postcss';
import sanitizeHtml from 'sanitize-html';

/**
 * The markup of an untrusted report (README "Security"): whoever wrote the notebook controls every byte of
 * its sources and outputs, so HTML is cut down to an allowlist, images must be what they claim to be, and the
 * page forbids scripts with a Content-Security-Policy as a second, independent layer.
 */

/** No script, no request but `data:` images, no form, no `<base>`: what an untrusted report may do. */
export const UNTRUSTED_CSP =
  "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const TAGS = [
  ...[
    'p',
    'br',
    'hr',
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'b',
    'i',
    'em',
    'strong',
    'u',
    's',
    'del',
    'ins',
    'sub',
    'sup',
    'small',
    'mark',
  ],
  ...[
    'code',
    'pre',
    'kbd',
    'samp',
    'var',
    'blockquote',
    'ul',
    'ol',
    'li',
    'dl',
    'dt',
    'dd',
    'div',
    'span',
    'a',
    'img',
    'abbr',
  ],
  ...[
    'table',
    'thead',
    'tbody',
    'tfoot',
    'tr',
    'th',
    'td',
    'caption',
    'colgroup',
    'col',
    'details',
    'summary',
    'figure',
    'figcaption',
  ],
];

/** Elements dropped together with their text, not just unwrapped: their content is code, not prose. */
const DROPPED_WITH_CONTENT = [
  'script',
  'textarea',
  'option',
  'noscript',
  'iframe',
  'object',
  'embed',
  'svg',
  'math',
  'template',
  'title',
  'xmp',
  'noembed',
  'noframes',
  'select',
];

/**
 * A CSS value we keep in `style=`: no `url(`, `image(`, `var(` or `expression(` (requests, indirection) and no
 * backslash (escapes that would hide them).
 */
const SAFE_CSS_VALUE = [/^(?!.*(?:url|image|var|expression)\s*\()[^\\]*$/i];
const STYLE_PROPERTIES = [
  ...['color', 'background-color', 'font', 'font-family', 'font-size', 'font-style', 'font-weight', 'font-variant'],
  ...[
    'text-align',
    'vertical-align',
    'text-decoration',
    'white-space',
    'line-height',
    'opacity',
    'display',
    'table-layout',
  ],
  ...[
    'border',
    'border-top',
    'border-right',
    'border-bottom',
    'border-left',
    'border-color',
    'border-style',
    'border-width',
    'border-collapse',
    'border-spacing',
    'border-radius',
  ],
  ...[
    'padding',
    'padding-top',
    'padding-right',
    'padding-bottom',
    'padding-left',
    'margin',
    'margin-top',
    'margin-right',
    'margin-bottom',
    'margin-left',
  ],
  ...['width', 'height', 'min-width', 'max-width', 'min-height', 'max-height'],
];

const SANITIZE_OPTIONS: sanitizeHtml.IOptions = {
  // `<style>` only reaches exclusiveFilter, which takes its text out for scopedCss
  allowedTags: [...TAGS, 'style'],
  allowVulnerableTags: true,
  nonTextTags: DROPPED_WITH_CONTENT,
  allowedAttributes: {
    '*': ['class', 'id', 'title', 'style', 'lang', 'dir', 'align'],
    a: ['href', 'name', 'rel', 'target'],
    img: ['src', 'alt', 'width', 'height'],
    td: ['colspan', 'rowspan', 'valign'],
    th: ['colspan', 'rowspan', 'valign', 'scope'],
    col: ['span'],
    colgroup: ['span'],
    ol: ['start', 'type'],
    table: ['border'],
    details: ['open'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['data'] },
  allowProtocolRelative: false,
  allowedStyles: { '*': Object.fromEntries(STYLE_PROPERTIES.map((property) => [property, SAFE_CSS_VALUE])) },
  transformTags: {
    a: (tagName, attribs) => ({
      tagName,
      attribs: { ...attribs, rel: 'noopener noreferrer nofollow', target: '_blank' },
    }),
  },
};

/**
 * HTML from a notebook (an output, rendered markdown) cut down to markup that cannot run, load or submit anything.
 * Its `<style>` blocks apply only inside the element whose id is `scope` (see scopedCss), so an output can colour
 * its own table (pandas' Styler) but not hide or restyle the rest of the report.
 */
export function sanitizeMarkup(html: string, scope: string): string {
  const styles: string[] = [];
  const markup = sanitizeHtml(html, {
    ...SANITIZE_OPTIONS,
    exclusiveFilter: (frame) => {
      if (frame.tag === 'style') return styles.push(frame.text) > 0;
      // an image is kept only with image data we checked ourselves (imageDataUri): nothing else loads or leaks
      return frame.tag === 'img' && !isCheckedImageUri(frame.attribs.src ?? '');
    },
  });
  const css = styles.map((style) => scopedCss(style, scope)).filter(Boolean);
  return css.length ? `<style>${css.join('\n')}</style>${markup}` : markup;
}

/**
 * A style sheet reduced to plain rules whose selectors all start with `#scope `, holding only the declarations
 * `style=` may hold; nothing at all when it has `<` (it could end the element), `\` (escapes) or `@` (imports,
 * fonts, media queries).
 */
export function scopedCss(css: string, scope: string): string {
  if (/[<\\@]/.test(css)) return '';
  let root: postcss.Root;
  try {
    root = postcss.parse(css);
  } catch {
    return '';
  }
  root.walkComments((comment) => void comment.remove());
  root.each((node) => {
    if (node.type !== 'rule') return void node.remove();
    const selectors = node.selectors
      .map((selector) => selector.trim())
      .filter((selector) => selector && !/^[>+~]/.test(selector));
    if (!selectors.length) return void node.remove();
    node.selectors = selectors.map((selector) => `#${scope} ${selector}`);
    node.each((child) => {
      const allowed =
        child.type === 'decl' &&
        STYLE_PROPERTIES.includes(child.prop.toLowerCase()) &&
        SAFE_CSS_VALUE[0]!.test(child.value);
      if (!allowed) child.remove();
    });
  });
  return root.toString();
}

const RASTER_MAGIC: Record<string, (bytes: Buffer) => boolean> = {
  'image/png': (b) => b.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47])),
  'image/jpeg': (b) => b.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff])),
  'image/gif': (b) => /^GIF8[79]a/.test(b.subarray(0, 6).toString('latin1')),
};
export const RASTER_MIMES = Object.keys(RASTER_MAGIC);

/**
 * `data:` URI of a PNG, JPEG or GIF given as base64 (whitespace ignored), or undefined unless it is strict base64
 * whose bytes start as that format does: anything else could break out of the attribute or be another type.
 */
export function imageDataUri(mime: string, base64: string): string | undefined {
  const isMagic = RASTER_MAGIC[mime];
  const data = base64.replace(/\s+/g, '');
  if (!isMagic || data.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return undefined;
  return isMagic(Buffer.from(data.slice(0, 16), 'base64')) ? `data:${mime};base64,${data}` : undefined;
}

/** An SVG document as a `data:` image, where its scripts never run; undefined when the text is not an SVG document. */
export function svgDataUri(svg: string): string | undefined {
  const start = svg.replace(/^\uFEFF?(?:\s+|<\?xml[^>]*\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>[]*(?:\[[^\]]*\])?\s*>)*/i, '');
  return /^<svg[\s>]/i.test(start)
    ? `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`
    : undefined;
}

function isCheckedImageUri(src: string): boolean {
  const raster = /^data:(image\/(?:png|jpeg|gif));base64,(.*)$/s.exec(src);
  if (raster) return imageDataUri(raster[1]!, raster[2]!) !== undefined;
  const svg = /^data:image\/svg\+xml;base64,(.*)$/s.exec(src);
  return (
    svg !== null &&
    /^[A-Za-z0-9+/]+={0,2}$/.test(svg[1]!) &&
    svgDataUri(Buffer.from(svg[1]!, 'base64').toString('utf8')) !== undefined
  );
}
