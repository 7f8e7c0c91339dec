//! `batchmsg template add|list|show|remove`: named messages, kept in the
//! data folder, to use with `--template NAME`.

use std::path::PathBuf;

use anyhow::Context;
use batchmsg_core::message::Template;
use batchmsg_core::ports::TemplateStore;
use batchmsg_core::templates::{add_template, find_template, remove_template};
use batchmsg_local::Database;
use clap::Subcommand;

use crate::data_dir::{DataDirArgs, block_on};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
    #[command(flatten)]
    data: DataDirArgs,
}

#[derive(Subcommand)]
enum Action {
    /// Save a message under a name.
    Add {
        name: String,
        /// The message text, with ((placeholders)) such as ((name|there)).
        #[arg(long, conflicts_with = "file", required_unless_present = "file")]
        text: Option<String>,
        /// A file holding the message text.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Replace a template of the same name.
        #[arg(long)]
        replace: bool,
    },
    /// Every saved template, with its length.
    List,
    /// One template's text.
    Show { name: String },
    /// Delete a template.
    Remove { name: String },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let db = Database::open(&args.data.data_dir)?;
    match args.action {
        Action::Add {
            name,
            text,
            file,
            replace,
        } => {
            let text = match (text, file) {
                (Some(text), _) => text,
                (None, Some(path)) => std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?,
                (None, None) => unreachable!("clap requires --text or --file"),
            };
            let saved = block_on(add_template(&db, &name, &text, replace))??;
            println!("Saved the template {:?}", saved.name);
        }
        Action::List => {
            let all = block_on(db.list())??;
            if all.is_empty() {
                println!("No templates yet: add one with `batchmsg template add NAME --text TEXT`");
            }
            for template in all {
                println!("{}: {}", template.name, describe(&template.text));
            }
        }
        Action::Show { name } => {
            let template = block_on(find_template(&db, &name))??;
            println!("{}", template.text);
        }
        Action::Remove { name } => {
            block_on(remove_template(&db, &name))??;
            println!("Removed the template {name:?}");
        }
    }
    Ok(())
}

/// The placeholders a template uses, for the list.
fn describe(text: &str) -> String {
    match Template::parse(text) {
        Ok(template) => {
            let names: Vec<String> = template
                .placeholders()
                .map(|p| format!("(({}))", p.name))
                .collect();
            if names.is_empty() {
                "no placeholders".to_owned()
            } else {
                format!("uses {}", names.join(", "))
            }
        }
        Err(e) => e.to_string(),
    }
}
