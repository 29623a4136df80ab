// A small markdown renderer. It escapes the whole text first, so everything a model
// or a tool wrote is inert; then it adds a few tags of its own: headings, paragraphs,
// lists, quotes, code, emphasis, links (http and https only) and images (https and
// base64 data URLs of png, jpeg, gif and webp only). A remote (https) image is not
// fetched until the reader clicks its button: an address a model wrote could carry
// the conversation to a third party.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

// url is escaped text: quotes are entities, so it cannot leave its attribute.
function safeUrl(url, image) {
  const raw = url.replace(/&amp;/g, "&");
  if (/^https:\/\//i.test(raw)) return url;
  if (!image && /^http:\/\//i.test(raw)) return url;
  if (image && /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$/i.test(raw)) return url;
  return null;
}

// An address never holds a placeholder (\u0000N\u0000): a tag put back inside an
// attribute would add attributes of its own.
const IMAGE = /!\[([^\]\n\u0000]*)\]\(([^)\s\u0000]+)\)/g;
const LINK = /\[([^\]\n]+)\]\(([^)\s\u0000]+)\)/g;
const HELD = /\u0000(\d+)\u0000/g;

function decorate(text) {
  const held = [];
  const hold = (html) => `\u0000${held.push(html) - 1}\u0000`;
  let out = text.replace(IMAGE, (whole, alt, url) => {
    const safe = safeUrl(url, true);
    if (!safe) return whole;
    if (/^data:/i.test(safe)) return hold(`<img alt="${alt}" src="${safe}">`);
    const host = safe.replace(/^https:\/\//i, "").split(/[/?#]/)[0];
    return hold(
      `<button type="button" class="remote-image" data-src="${safe}" data-alt="${alt}">` +
        `Show image${alt ? ` “${alt}”` : ""} from ${host}</button>`,
    );
  });
  out = out.replace(LINK, (whole, label, url) => {
    const safe = safeUrl(url, false);
    return safe ? hold(`<a href="${safe}" target="_blank" rel="noopener noreferrer">${label}</a>`) : whole;
  });
  out = out
    .replace(/\*\*([^*\n]+)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^*\w])\*([^*\s][^*\n]*?)\*(?!\w)/g, "$1<em>$2</em>")
    .replace(/(^|[^\w])_([^_\s][^_\n]*?)_(?!\w)/g, "$1<em>$2</em>");
  // A link's label may hold an image: put back twice.
  return out.replace(HELD, (m, i) => held[+i]).replace(HELD, (m, i) => held[+i]);
}

function inline(escaped) {
  return escaped
    .split(/(`[^`\n]+`)/)
    .map((piece, i) => (i % 2 ? `<code>${piece.slice(1, -1)}</code>` : decorate(piece)))
    .join("");
}

export function markdownToHtml(text) {
  const lines = escapeHtml(String(text).replace(/\u0000/g, "")).split("\n");
  const out = [];
  let paragraph = [];
  let list = null;
  const flushParagraph = () => {
    if (paragraph.length) out.push(`<p>${paragraph.map(inline).join("<br>")}</p>`);
    paragraph = [];
  };
  const flushList = () => {
    if (list) out.push(`<${list.tag}>${list.items.map((item) => `<li>${inline(item)}</li>`).join("")}</${list.tag}>`);
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^```/.test(line)) {
      flushParagraph();
      flushList();
      const code = [];
      for (i++; i < lines.length && !/^```/.test(lines[i]); i++) code.push(lines[i]);
      out.push(`<pre><code>${code.join("\n")}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    const quote = /^&gt;\s?(.*)$/.exec(line);
    if (heading) {
      flushParagraph();
      flushList();
      const level = heading[1].length;
      out.push(`<h${level}>${inline(heading[2])}</h${level}>`);
    } else if (bullet || numbered) {
      flushParagraph();
      const tag = bullet ? "ul" : "ol";
      if (!list || list.tag !== tag) {
        flushList();
        list = { tag, items: [] };
      }
      list.items.push((bullet || numbered)[1]);
    } else if (quote) {
      flushParagraph();
      flushList();
      out.push(`<blockquote>${inline(quote[1])}</blockquote>`);
    } else if (!line.trim()) {
      flushParagraph();
      flushList();
    } else {
      flushList();
      paragraph.push(line);
    }
  }
  flushParagraph();
  flushList();
  return out.join("");
}

// Render text as markdown into node (replacing what it held).
export function setMarkdown(node, text) {
  node.innerHTML = markdownToHtml(text);
  for (const button of node.querySelectorAll("button.remote-image")) {
    button.addEventListener("click", (event) => {
      event.preventDefault(); // inside a link, the click shows the image only
      const image = document.createElement("img");
      image.alt = button.dataset.alt;
      image.src = button.dataset.src;
      button.replaceWith(image);
    });
  }
}
