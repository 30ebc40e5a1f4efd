// Just enough XML for manifests: elements found by name with regular expressions. Elements of the
// same name must not nest, which holds for the DASH elements the MPD parser looks for.

export interface XmlElement {
    attrs: Record<string, string>;
    /** Inner text ('' for self-closing elements). */
    body: string;
}

/** Replaces the five named entities and numeric character references. */
export function decodeXml(text: string): string {
    return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_m, e: string) => {
        if (e === "amp") return "&";
        if (e === "lt") return "<";
        if (e === "gt") return ">";
        if (e === "quot") return '"';
        if (e === "apos") return "'";
        return String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    });
}

/** Attributes of a start tag's attribute text, values XML-decoded. */
export function parseAttributes(attrText: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const m of attrText.matchAll(/([A-Za-z_][\w:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        out[m[1]!] = decodeXml(m[2] ?? m[3] ?? "");
    }
    return out;
}

// Attribute text that may contain '>' inside quoted values.
const ATTRS = `((?:[^>"'/]|"[^"]*"|'[^']*'|/(?!>))*)`;

/** Non-nested elements named `name` in `text`, self-closing or not. */
export function elements(text: string, name: string): XmlElement[] {
    const re = new RegExp(`<${name}(?=[\\s/>])${ATTRS}(?:/>|>([\\s\\S]*?)</${name}\\s*>)`, "g");
    return [...text.matchAll(re)].map((m) => ({ attrs: parseAttributes(m[1] ?? ""), body: m[2] ?? "" }));
}

/** `text` with every element named `name` cut out. */
export function withoutElements(text: string, name: string): string {
    const re = new RegExp(`<${name}(?=[\\s/>])${ATTRS}(?:/>|>[\\s\\S]*?</${name}\\s*>)`, "g");
    return text.replace(re, "");
}
