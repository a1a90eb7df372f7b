//! A minimal XML well-formedness checker and query helpers for the chart tests. Hand-written
//! because the crate takes no dependencies, dev ones included apart from proptest.

#![allow(dead_code)]

use std::collections::HashSet;

/// One element: its name, attributes, parent and decoded direct text.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub parent: Option<usize>,
    pub text: String,
}

impl Node {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A numeric attribute; panics with the element in the message when absent.
    pub fn num(&self, name: &str) -> f64 {
        self.attr(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{} has no numeric {name}: {self:?}", self.name))
    }
}

/// The elements of a document in document order.
#[derive(Debug, Clone)]
pub struct Doc {
    pub nodes: Vec<Node>,
}

impl Doc {
    pub fn root(&self) -> &Node {
        &self.nodes[0]
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = (usize, &'a Node)> + 'a {
        self.nodes
            .iter()
            .enumerate()
            .filter(move |(_, n)| n.name == name)
    }

    pub fn children(&self, parent: usize) -> impl Iterator<Item = &Node> + '_ {
        self.nodes.iter().filter(move |n| n.parent == Some(parent))
    }

    /// Elements with a `<title>` child: the data marks (bars, tiles, line points).
    pub fn marks<'a>(&'a self, name: &'a str) -> Vec<&'a Node> {
        self.all(name)
            .filter(|(i, _)| self.children(*i).any(|c| c.name == "title"))
            .map(|(_, n)| n)
            .collect()
    }

    /// The tooltip of mark `index`.
    pub fn tooltip(&self, index: usize) -> Option<&str> {
        self.children(index)
            .find(|c| c.name == "title")
            .map(|c| c.text.as_str())
    }

    /// The texts of every `<text>` element.
    pub fn texts(&self) -> Vec<&str> {
        self.all("text").map(|(_, n)| n.text.as_str()).collect()
    }

    pub fn has_text(&self, text: &str) -> bool {
        self.texts().contains(&text)
    }

    pub fn ids(&self) -> Vec<&str> {
        self.nodes.iter().filter_map(|n| n.attr("id")).collect()
    }
}

fn decode_entities(raw: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..]
            .find(';')
            .ok_or_else(|| format!("bare & in {raw:?}"))?;
        let entity = &rest[i + 1..i + end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = entity.strip_prefix('#') {
                    dec.parse().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32)
                    .ok_or_else(|| format!("unknown entity &{entity}; in {raw:?}"))?
            }
        };
        out.push(c);
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    if out
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(format!("control character in {raw:?}"));
    }
    Ok(out)
}

fn is_name_char(c: char, first: bool) -> bool {
    c.is_ascii_alphabetic()
        || c == '_'
        || (!first && (c.is_ascii_digit() || c == '-' || c == ':' || c == '.'))
}

fn read_name(s: &str) -> Result<(&str, &str), String> {
    let end = s
        .char_indices()
        .find(|(i, c)| !is_name_char(*c, *i == 0))
        .map_or(s.len(), |(i, _)| i);
    if end == 0 {
        return Err(format!("expected a name at {:?}", &s[..s.len().min(30)]));
    }
    Ok((&s[..end], &s[end..]))
}

/// Parses `xml`, which must be exactly one element with properly nested, matching tags,
/// quoted unique attributes, no raw `<` in values and no bare `&` anywhere.
pub fn parse(xml: &str) -> Result<Doc, String> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut rest = xml;
    let mut roots = 0;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("</") {
            let (name, after) = read_name(after)?;
            let after = after.trim_start();
            let after = after
                .strip_prefix('>')
                .ok_or_else(|| format!("unterminated </{name}"))?;
            let open = stack
                .pop()
                .ok_or_else(|| format!("</{name}> closes nothing"))?;
            if nodes[open].name != name {
                return Err(format!("<{}> closed by </{name}>", nodes[open].name));
            }
            rest = after;
        } else if let Some(after) = rest.strip_prefix('<') {
            let (name, mut after) = read_name(after)?;
            if stack.is_empty() {
                roots += 1;
            }
            let mut node = Node {
                name: name.to_owned(),
                attrs: Vec::new(),
                parent: stack.last().copied(),
                text: String::new(),
            };
            let mut seen = HashSet::new();
            let self_closing;
            loop {
                let trimmed = after.trim_start();
                if let Some(a) = trimmed.strip_prefix("/>") {
                    self_closing = true;
                    after = a;
                    break;
                }
                if let Some(a) = trimmed.strip_prefix('>') {
                    self_closing = false;
                    after = a;
                    break;
                }
                if trimmed.len() == after.len() {
                    return Err(format!("no space before attribute in <{name}"));
                }
                let (key, a) = read_name(trimmed)?;
                let a = a
                    .strip_prefix("=\"")
                    .ok_or_else(|| format!("attribute {key} of <{name}> is not =\"…\""))?;
                let end = a
                    .find('"')
                    .ok_or_else(|| format!("unterminated attribute {key}"))?;
                let raw = &a[..end];
                if raw.contains('<') {
                    return Err(format!("raw < in attribute {key}"));
                }
                if !seen.insert(key.to_owned()) {
                    return Err(format!("duplicate attribute {key} on <{name}>"));
                }
                node.attrs.push((key.to_owned(), decode_entities(raw)?));
                after = &a[end + 1..];
            }
            nodes.push(node);
            if !self_closing {
                stack.push(nodes.len() - 1);
            }
            rest = after;
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = decode_entities(&rest[..end])?;
            match stack.last() {
                Some(open) => nodes[*open].text.push_str(&text),
                None if text.trim().is_empty() => {}
                None => return Err(format!("text outside the root: {text:?}")),
            }
            rest = &rest[end..];
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("<{}> is never closed", nodes[*open].name));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(Doc { nodes })
}

/// Parses and checks what every chart must be: an `<svg>` root that scales, named by a
/// `<title>` and described by a `<desc>` through `aria-labelledby`, with unique ids.
pub fn chart(svg: &str) -> Doc {
    let doc = parse(svg).unwrap_or_else(|e| panic!("not well-formed: {e}\n{svg}"));
    let root = doc.root();
    assert_eq!(root.name, "svg");
    assert_eq!(root.attr("role"), Some("img"));
    assert_eq!(root.attr("width"), Some("100%"));
    assert_eq!(root.attr("xmlns"), Some("http://www.w3.org/2000/svg"));
    let view_box: Vec<f64> = root
        .attr("viewBox")
        .expect("a viewBox")
        .split(' ')
        .map(|n| n.parse().expect("numbers in the viewBox"))
        .collect();
    assert!(view_box.len() == 4 && view_box[2] > 0.0 && view_box[3] > 0.0);
    let ids = doc.ids();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate ids in {ids:?}");
    let labelled_by: Vec<&str> = root
        .attr("aria-labelledby")
        .expect("aria-labelledby")
        .split_whitespace()
        .collect();
    assert_eq!(labelled_by.len(), 2);
    for (id, element) in labelled_by.iter().zip(["title", "desc"]) {
        let (_, node) = doc
            .nodes
            .iter()
            .enumerate()
            .find(|(_, n)| n.attr("id") == Some(id))
            .unwrap_or_else(|| panic!("aria-labelledby names {id}, which is not in the chart"));
        assert_eq!(node.name, element);
        assert_eq!(node.parent, Some(0), "{element} must be a child of the svg");
        assert!(!node.text.trim().is_empty(), "{element} is empty");
    }
    doc
}
