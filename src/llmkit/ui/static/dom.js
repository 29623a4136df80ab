// DOM helpers. Text always goes in as text (textContent), never as markup: the only
// markup the page writes is what markdown.js makes from escaped text.

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

export function json(value) {
  return JSON.stringify(value, null, 2);
}

// A <details> whose body is built only when first opened: a run of thousands of
// events does not build thousands of JSON views up front.
export function lazyDetails(label, build, attrs = {}) {
  const body = h("div", { class: "details-body" });
  const details = h("details", attrs, h("summary", { text: label }), body);
  details.addEventListener("toggle", () => {
    if (details.open && !body.firstChild) body.append(build());
  });
  return details;
}

export function rawJson(value) {
  return h("pre", { class: "raw", text: json(value) });
}

const IMAGE_TYPES = /^image\/(png|jpeg|gif|webp)$/;
const BASE64 = /^[A-Za-z0-9+/=\s]+$/;

// The parts of a message or tool result as nodes: text as text, images as images.
export function renderParts(content) {
  if (typeof content === "string") return [h("span", { class: "text", text: content })];
  if (!Array.isArray(content)) return [rawJson(content)];
  return content.map((part) => {
    if (part && part.type === "text") return h("span", { class: "text", text: part.text });
    if (part && part.type === "image") {
      if (part.data && IMAGE_TYPES.test(part.media_type || "") && BASE64.test(part.data)) {
        return h("img", { class: "part-image", alt: "image", src: `data:${part.media_type};base64,${part.data}` });
      }
      if (typeof part.url === "string" && /^https:\/\//.test(part.url)) {
        return h("img", { class: "part-image", alt: "image", src: part.url });
      }
    }
    return rawJson(part);
  });
}
