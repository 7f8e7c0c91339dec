//! What `validate` and `preview` read before any row: the message, the
//! opted-out list and the patient list itself, each with an error that names
//! the file.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use batchmsg_core::message::Template;
use batchmsg_core::opt_out::OptOutList;
use batchmsg_core::patient_list::PatientList;
use batchmsg_core::templates::find_template;
use batchmsg_core::validation::Declines;
use batchmsg_core::waves::uk_today;
use batchmsg_local::{DATABASE_FILE, Database, OptedOutFile};

use crate::data_dir::{DataDirArgs, block_on};

/// The patient list and what it is checked against, as `validate` and
/// `preview` take them.
#[derive(clap::Args)]
pub struct ListArgs {
    /// The patient list: CSV (UTF-8, Windows-1252 or UTF-16), .xlsx, .xlsm or .ods.
    pub file: PathBuf,
    #[command(flatten)]
    pub message: MessageArgs,
    /// Mobile numbers or NHS numbers that must not be texted, one a line.
    #[arg(long)]
    pub opted_out: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataDirArgs,
}

/// What [`ListArgs`] name, read and ready, file-level problems reported.
pub struct Inputs {
    pub template: Option<Template>,
    pub opted_out: OptOutList,
    /// Every patient a row of the list stops, from a first reading of it.
    pub declines: Declines,
    /// The list, ready for validation's reading.
    pub list: PatientList,
    /// The UK date both readings of the list take as today.
    pub today: chrono::NaiveDate,
}

impl ListArgs {
    pub fn read(&self) -> anyhow::Result<Inputs> {
        let template = self.message.template(&self.data)?;
        let opted_out = opted_out(self.opted_out.as_deref())?;
        let source = ListSource::new(&self.file)?;
        let mut list = source.open()?;
        let today = uk_today(chrono::Utc::now());
        let declines = Declines::find(&mut list, &opted_out, today)?;
        if declines.read_the_list() {
            list = source.open()?;
        }
        Ok(Inputs {
            template,
            opted_out,
            declines,
            list,
            today,
        })
    }
}

/// `--message TEXT` or `--template FILE|NAME`.
#[derive(clap::Args)]
pub struct MessageArgs {
    /// The message text, with ((placeholders)) such as ((name|there)).
    #[arg(long, conflicts_with = "template")]
    pub message: Option<String>,
    /// A file holding the message text, or the name of a saved template
    /// (`batchmsg template add`). A file of that name wins.
    #[arg(long, value_name = "FILE|NAME")]
    pub template: Option<String>,
}

impl MessageArgs {
    pub fn template(&self, data: &DataDirArgs) -> anyhow::Result<Option<Template>> {
        let text = match (&self.message, &self.template) {
            (Some(text), _) => text.clone(),
            (None, Some(file_or_name)) => template_text(file_or_name, data)?,
            (None, None) => return Ok(None),
        };
        // A template file ends with a newline that is not part of the text.
        let template = Template::parse(text.trim_end()).context("the message cannot be used")?;
        Ok(Some(template))
    }
}

/// The text of a template file, or else of the saved template of that name.
fn template_text(file_or_name: &str, data: &DataDirArgs) -> anyhow::Result<String> {
    let path = Path::new(file_or_name);
    if path.is_file() {
        return std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the template {}", path.display()));
    }
    // Only a folder that already holds a database is looked in: a lookup
    // must not leave an empty data folder behind.
    if !data.data_dir.join(DATABASE_FILE).is_file() {
        bail!(
            "there is no template file {file_or_name:?}, and no saved templates in {}",
            data.data_dir.display()
        );
    }
    let db = Database::open(&data.data_dir)?;
    let found = block_on(find_template(&db, file_or_name))?
        .map_err(|e| anyhow::anyhow!("{e}, and no file of that name either"))?;
    Ok(found.text)
}

fn opted_out(path: Option<&Path>) -> anyhow::Result<OptOutList> {
    Ok(OptedOutFile::read(path)?.into_list())
}

/// The patient list, which validation may read twice (see [`Declines`]). A
/// list from a pipe such as `/dev/stdin` cannot be read again, so it is copied
/// to an unnamed temporary file (owner-only, gone when closed) first.
enum ListSource<'a> {
    File(&'a Path),
    Spooled(File),
}

impl<'a> ListSource<'a> {
    fn new(path: &'a Path) -> anyhow::Result<Self> {
        let mut input = File::open(path)
            .with_context(|| format!("cannot open the patient list {}", path.display()))?;
        let metadata = input.metadata().ok();
        if metadata.as_ref().is_some_and(|m| m.is_dir()) {
            bail!("{} is a folder, not a patient list", path.display());
        }
        if metadata.is_some_and(|m| m.is_file()) {
            return Ok(ListSource::File(path));
        }
        let mut spooled = tempfile::tempfile().context("cannot make a temporary file")?;
        std::io::copy(&mut input, &mut spooled)
            .with_context(|| format!("cannot read the patient list {}", path.display()))?;
        Ok(ListSource::Spooled(spooled))
    }

    fn open(&self) -> anyhow::Result<PatientList> {
        let input = match self {
            ListSource::File(path) => File::open(path)
                .with_context(|| format!("cannot open the patient list {}", path.display()))?,
            ListSource::Spooled(file) => {
                let mut input = file.try_clone().context("cannot read the temporary file")?;
                input
                    .seek(SeekFrom::Start(0))
                    .context("cannot read the temporary file")?;
                input
            }
        };
        let length = input.metadata().ok().map(|m| m.len());
        Ok(PatientList::open_sized(input, length)?)
    }
}
