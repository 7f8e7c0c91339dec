//! The environment variables each function reads, read off the code's
//! syntax (`syn`): from the function's `main`, every call is followed
//! through the function's crate and `shared/aws`, and every read is
//! collected — a literal or a constant passed to `config::require`,
//! `config::require_parsed` or `std::env::var`/`var_os`, and any
//! `*_VAR`/`*_VARIABLE` constant or `"BATCHMSG_…"` literal a reached
//! function mentions (the sweep's `times_from(lookup)` reads through
//! its argument, naming its variables by constant).
//!
//! Calls are matched by name, not type: `Type::f` to `f` in an `impl Type`,
//! a free `f` to every free `f`, a method `.f()` to every method `f`. That
//! can only find more reads than there are, never fewer (a constructor
//! without `self` is reached only by its type's name, `Type::from_env`), and
//! a read found that a function does not make shows up as a variable the
//! template is said to lack. The core's use cases call the adapters'
//! methods through its ports: those are reached by method name.
//! `AWS_*` variables are the SDK's and Lambda's own, not the template's.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// One function item (free, inherent or trait method) of the code read.
#[derive(Debug, Default)]
struct Item {
    /// `Type` for a method, empty for a free function.
    owner: String,
    name: String,
    has_self: bool,
    file: PathBuf,
    calls: BTreeSet<(String, String)>,
    methods: BTreeSet<String>,
    paths: BTreeSet<String>,
    reads: BTreeSet<String>,
}

/// What reading the code found.
#[derive(Debug)]
pub struct Reads {
    /// Function → the variables it reads.
    pub by_function: BTreeMap<String, BTreeSet<String>>,
    /// Every `BATCHMSG_*` name any item of the code read mentions, reached
    /// or not (so a new way of reading one cannot go unseen).
    pub every_read: BTreeSet<String>,
    /// Every `"BATCHMSG_…"` string in the code read, outside tests.
    pub every_literal: BTreeSet<String>,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        panic!("cannot read {}", dir.display())
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let text = quote_attr(a);
        text.contains("cfg(test)") || text == "test" || text.ends_with("::test")
    })
}

fn quote_attr(a: &syn::Attribute) -> String {
    match &a.meta {
        syn::Meta::Path(p) => path_text(p),
        syn::Meta::List(l) => format!("{}({})", path_text(&l.path), l.tokens).replace(' ', ""),
        syn::Meta::NameValue(nv) => path_text(&nv.path),
    }
}

fn path_text(p: &syn::Path) -> String {
    p.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Collects items and the constants' values from one file.
#[derive(Default)]
struct FileScan {
    items: Vec<Item>,
    constants: BTreeMap<String, String>,
    literals: BTreeSet<String>,
    file: PathBuf,
    owner: Vec<String>,
}

impl FileScan {
    fn function(&mut self, name: String, has_self: bool, block: &syn::Block) {
        let mut body = Body::default();
        body.visit_block(block);
        self.literals.extend(body.literals.iter().cloned());
        self.items.push(Item {
            owner: self.owner.last().cloned().unwrap_or_default(),
            name,
            has_self,
            file: self.file.clone(),
            calls: body.calls,
            methods: body.methods,
            paths: body.paths,
            reads: body.reads,
        });
    }
}

impl<'ast> Visit<'ast> for FileScan {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_test(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
        if let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) = &*c.expr
        {
            self.constants.insert(c.ident.to_string(), s.value());
            if s.value().starts_with("BATCHMSG_") {
                self.literals.insert(s.value());
            }
        }
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !is_test(&f.attrs) {
            self.owner.push(String::new());
            self.function(f.sig.ident.to_string(), false, &f.block);
            self.owner.pop();
        }
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if is_test(&i.attrs) {
            return;
        }
        self.owner.push(type_name(&i.self_ty));
        for item in &i.items {
            if let syn::ImplItem::Fn(f) = item
                && !is_test(&f.attrs)
            {
                let has_self = f.sig.receiver().is_some();
                self.function(f.sig.ident.to_string(), has_self, &f.block);
            }
        }
        self.owner.pop();
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        self.owner.push(t.ident.to_string());
        for item in &t.items {
            if let syn::TraitItem::Fn(f) = item
                && let Some(block) = &f.default
            {
                let has_self = f.sig.receiver().is_some();
                self.function(f.sig.ident.to_string(), has_self, block);
            }
        }
        self.owner.pop();
    }
}

/// What one function body calls and reads.
#[derive(Default)]
struct Body {
    calls: BTreeSet<(String, String)>,
    methods: BTreeSet<String>,
    paths: BTreeSet<String>,
    reads: BTreeSet<String>,
    literals: BTreeSet<String>,
}

const READERS: &[&str] = &["require", "require_parsed", "var", "var_os"];

impl<'ast> Visit<'ast> for Body {
    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*call.func {
            let segments: Vec<String> = p
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            let name = segments.last().cloned().unwrap_or_default();
            let owner = if segments.len() >= 2 {
                segments[segments.len() - 2].clone()
            } else {
                String::new()
            };
            if READERS.contains(&name.as_str())
                && let Some(first) = call.args.first()
            {
                match first {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => {
                        self.reads.insert(s.value());
                    }
                    syn::Expr::Path(c)
                        if c.path.segments.last().is_some_and(|s| {
                            s.ident
                                .to_string()
                                .chars()
                                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                        }) =>
                    {
                        // A constant: resolved once every file is read.
                        // (A lower-case name is an argument, read by its
                        // caller's constant.)
                        self.reads.insert(format!("const:{}", path_text(&c.path)));
                    }
                    _ => {}
                }
            }
            self.calls.insert((owner, name));
        }
        syn::visit::visit_expr_call(self, call);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        self.methods.insert(call.method.to_string());
        syn::visit::visit_expr_method_call(self, call);
    }

    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        let last = p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if last.ends_with("_VAR") || last.ends_with("_VARIABLE") {
            self.reads.insert(format!("const:{last}"));
        }
        // A function named as a value (`service_fn(handle)`).
        self.paths.insert(last);
        syn::visit::visit_expr_path(self, p);
    }

    fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
        let value = s.value();
        if value.starts_with("BATCHMSG_")
            && value
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            self.reads.insert(value.clone());
            self.literals.insert(value);
        }
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        // Macro arguments are tokens, not syntax; expressions inside the
        // common ones (format!, vec!, assert!) are parsed as such.
        if let Ok(args) = m.parse_body_with(
            syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
        ) {
            for arg in args {
                self.visit_expr(&arg);
            }
        }
    }
}

/// The folders of code each function is built from that can read its
/// environment: its own crate and the AWS adapters. (The core has no I/O:
/// [`core_reads_nothing`] checks it.)
fn sources(function: &str) -> Vec<PathBuf> {
    let root = crate::template::root();
    vec![
        root.join("functions").join(function).join("src"),
        root.join("shared/aws/src"),
    ]
}

fn scan(dirs: &[PathBuf]) -> (Vec<Item>, BTreeMap<String, String>, BTreeSet<String>) {
    let mut files = Vec::new();
    for dir in dirs {
        rust_files(dir, &mut files);
    }
    files.sort();
    let (mut items, mut constants, mut literals) = (Vec::new(), BTreeMap::new(), BTreeSet::new());
    for file in files {
        let text = std::fs::read_to_string(&file).expect("reads a source file");
        let parsed = syn::parse_file(&text)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", file.display()));
        let mut scan = FileScan {
            file: file.clone(),
            ..FileScan::default()
        };
        scan.visit_file(&parsed);
        items.extend(scan.items);
        constants.extend(scan.constants);
        literals.extend(scan.literals);
    }
    (items, constants, literals)
}

fn resolve(read: &str, constants: &BTreeMap<String, String>) -> Option<String> {
    match read.strip_prefix("const:") {
        Some(path) => {
            let name = path.rsplit("::").next().unwrap_or(path);
            constants.get(name).cloned()
        }
        None => Some(read.to_owned()),
    }
}

/// The variables `function` (`functions/<function>`) reads, from its
/// `main` on.
pub fn reads(functions: &[&str]) -> Reads {
    let mut by_function = BTreeMap::new();
    let mut every_read = BTreeSet::new();
    let mut every_literal = BTreeSet::new();
    for function in functions {
        let (items, constants, literals) = scan(&sources(function));
        every_literal.extend(literals);
        for item in &items {
            for read in &item.reads {
                if let Some(name) = resolve(read, &constants)
                    && name.starts_with("BATCHMSG_")
                {
                    every_read.insert(name);
                }
            }
        }
        let main_file = crate::template::root()
            .join("functions")
            .join(function)
            .join("src/main.rs");
        let start: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, i)| i.name == "main" && i.file == main_file)
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            start.len(),
            1,
            "no `main` found in {} to start from",
            main_file.display()
        );
        let mut reached: BTreeSet<usize> = BTreeSet::new();
        let mut todo = start;
        while let Some(n) = todo.pop() {
            if !reached.insert(n) {
                continue;
            }
            let item = &items[n];
            for (m, other) in items.iter().enumerate() {
                if reached.contains(&m) {
                    continue;
                }
                let called = item.calls.iter().any(|(owner, name)| {
                    *name == other.name
                        && (owner.is_empty()
                            || *owner == other.owner
                            || owner == "Self" && other.owner == item.owner
                            || owner.starts_with(char::is_lowercase) && other.owner.is_empty())
                }) || (other.has_self && item.methods.contains(&other.name))
                    || (other.owner.is_empty() && item.paths.contains(&other.name));
                if called {
                    todo.push(m);
                }
            }
        }
        let mut names = BTreeSet::new();
        for n in &reached {
            for read in &items[*n].reads {
                let name = resolve(read, &constants).unwrap_or_else(|| {
                    panic!(
                        "{}: `{read}` names no string constant in the code read",
                        items[*n].file.display()
                    )
                });
                if !name.starts_with("AWS_") {
                    names.insert(name);
                }
            }
        }
        by_function.insert((*function).to_owned(), names);
    }
    Reads {
        by_function,
        every_read,
        every_literal,
    }
}

/// `BATCHMSG_*` or `std::env` reads in `shared/core`, outside its test
/// support (which is not in a function): there should be none.
pub fn core_reads() -> BTreeSet<String> {
    let root = crate::template::root();
    let mut files = Vec::new();
    rust_files(&root.join("shared/core/src"), &mut files);
    let mut found = BTreeSet::new();
    for file in files {
        if file.components().any(|c| c.as_os_str() == "test_support") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("reads a source file");
        let parsed = syn::parse_file(&text).expect("core parses");
        let mut scan = FileScan {
            file: file.clone(),
            ..FileScan::default()
        };
        scan.visit_file(&parsed);
        for item in scan.items {
            for read in item.reads {
                found.insert(format!("{} in {}", read, file.display()));
            }
            if item
                .calls
                .iter()
                .any(|(owner, name)| owner == "env" && (name == "var" || name == "var_os"))
            {
                found.insert(format!("std::env in {}", file.display()));
            }
        }
    }
    found
}

/// Functions of `shared/aws` that do something only some callers need,
/// found in its syntax; whether a function's binary links them says
/// whether it needs the permission.
#[derive(Debug, Default)]
pub struct AdapterSites {
    /// (fn name, index) for each Query on an index (`.index_name(GSI1)`).
    pub index_queries: Vec<(String, String)>,
    /// Fns that give a transaction's unit an item to put (`Unit { put: … }`
    /// with anything but `None`).
    pub put_units: Vec<String>,
}

#[derive(Default)]
struct SiteScan {
    constants: BTreeMap<String, String>,
    current: Vec<String>,
    indexes: Vec<(String, String)>,
    puts: Vec<String>,
}

impl<'ast> Visit<'ast> for SiteScan {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_test(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !is_test(&f.attrs) {
            self.current.push(f.sig.ident.to_string());
            syn::visit::visit_item_fn(self, f);
            self.current.pop();
        }
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if !is_test(&f.attrs) {
            self.current.push(f.sig.ident.to_string());
            syn::visit::visit_impl_item_fn(self, f);
            self.current.pop();
        }
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if call.method == "index_name"
            && let Some(syn::Expr::Path(p)) = call.args.first()
            && let Some(current) = self.current.last()
        {
            let name = p.path.segments.last().unwrap().ident.to_string();
            self.indexes.push((current.clone(), name));
        }
        syn::visit::visit_expr_method_call(self, call);
    }

    fn visit_expr_struct(&mut self, s: &'ast syn::ExprStruct) {
        let is_unit = s.path.segments.last().is_some_and(|l| l.ident == "Unit");
        let puts = s.fields.iter().any(|f| {
            matches!(&f.member, syn::Member::Named(n) if n == "put")
                && !matches!(&f.expr, syn::Expr::Path(p) if p.path.is_ident("None"))
        });
        if is_unit
            && puts
            && let Some(current) = self.current.last()
        {
            self.puts.push(current.clone());
        }
        syn::visit::visit_expr_struct(self, s);
    }
}

/// [`AdapterSites`] of `shared/aws/src`.
pub fn adapter_sites() -> AdapterSites {
    let mut files = Vec::new();
    rust_files(&crate::template::root().join("shared/aws/src"), &mut files);
    let mut scan = SiteScan::default();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("reads a source file");
        let parsed = syn::parse_file(&text).expect("shared/aws parses");
        let mut consts = FileScan::default();
        consts.visit_file(&parsed);
        scan.constants.extend(consts.constants);
        scan.visit_file(&parsed);
    }
    let index_queries = scan
        .indexes
        .iter()
        .filter_map(|(f, c)| scan.constants.get(c).map(|v| (f.clone(), v.clone())))
        .collect();
    AdapterSites {
        index_queries,
        put_units: scan.puts,
    }
}
