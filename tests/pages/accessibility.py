"""An automated accessibility check run inside the page: every control has a name a screen reader reads,
images have text, the page has one main heading, and text meets WCAG AA contrast (4.5:1, 3:1 when large).
Smaller than a full audit tool, and needing nothing outside this repository."""

from playwright.sync_api import Page

_AUDIT = r"""
() => {
  const problems = [];
  const visible = (el) => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return style.visibility !== "hidden" && style.display !== "none" && box.width > 0 && box.height > 0;
  };
  const describe = (el) => el.outerHTML.slice(0, 120);
  const named = (el) => {
    if ((el.getAttribute("aria-label") || "").trim()) return true;
    const by = el.getAttribute("aria-labelledby");
    if (by && by.split(/\s+/).some((id) => (document.getElementById(id)?.textContent || "").trim())) return true;
    if (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) return true;
    if (el.closest("label")) return true;
    if (["BUTTON", "A"].includes(el.tagName) && (el.textContent || "").trim()) return true;
    return (el.getAttribute("title") || "").trim() !== "";
  };
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea, button, a[href]")) {
    if (visible(el) && !named(el)) problems.push(`no accessible name: ${describe(el)}`);
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push(`image without alt: ${describe(img)}`);
  }
  const headings = document.querySelectorAll("h1").length;
  if (headings !== 1) problems.push(`${headings} h1 headings`);
  if (!document.documentElement.lang) problems.push("no lang on <html>");

  const rgb = (value) => (value.match(/[\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const linear = (c) => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    const [R, G, B] = [r, g, b].map(linear);
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const [r, g, b, a] = rgb(getComputedStyle(node).backgroundColor);
      if (a === undefined || a > 0.9) return [r, g, b];
    }
    return [255, 255, 255];
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || seen.has(el) || !walker.currentNode.textContent.trim() || !visible(el)) continue;
    if (el.closest(".react-flow__minimap, .react-flow__attribution, [disabled]")) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const [L1, L2] = [luminance(rgb(style.color)), luminance(background(el))].sort((a, b) => b - a);
    const ratio = (L1 + 0.05) / (L2 + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      problems.push(`contrast ${ratio.toFixed(2)}: "${el.textContent.trim().slice(0, 40)}"`);
    }
  }
  return problems;
}
"""


def accessibility_problems(page: Page) -> list[str]:
    problems: list[str] = page.evaluate(_AUDIT)
    return problems
