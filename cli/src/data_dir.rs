//! Where the embedded default keeps its state, and a runtime for its ports.

use std::future::Future;
use std::path::PathBuf;

/// `--data-dir`, shared by every command that keeps state.
#[derive(clap::Args, Clone)]
pub struct DataDirArgs {
    /// Where batchmsg keeps its database on this machine.
    #[arg(
        long,
        global = true,
        env = "BATCHMSG_DATA_DIR",
        default_value = "batchmsg-data"
    )]
    pub data_dir: PathBuf,
}

/// Runs one port call to completion. The embedded adapters never wait on the
/// network, so a single-threaded runtime is enough.
pub fn block_on<F: Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(future))
}
