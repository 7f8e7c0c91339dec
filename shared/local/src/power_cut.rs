//! Test support: what the disk would hold after a power loss, for SQLite.
//!
//! A SQLite VFS, made the default for the test process, that hands every
//! call to the platform's own VFS and, for files in a watched folder, keeps
//! an undo record of each write (and truncation) not yet followed by a sync
//! of that file. [`after_power_loss`] is the file as it is with those writes
//! undone: what a power loss now would leave, where the OS wrote back
//! nothing it was not told to sync. Files in other folders (other tests')
//! are passed through untouched.
//!
//! Files batchmsg writes itself (the outbox) only grow, and are synced
//! through [`crate::durable::sync_data`], which reports here: for those,
//! [`synced_length`] is what a power loss must keep.
//!
//! Written here because no well-kept crate wraps the default VFS this way;
//! it stays small by forwarding every call, unchanged, to that VFS.

use std::collections::HashMap;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, Once, PoisonError};

use rusqlite::ffi;

/// Called after each write, truncation or sync of a watched file: a moment
/// at which the power can go.
pub type Hook = Arc<dyn Fn() + Send + Sync>;

/// A file's writes since its last sync.
struct Unsynced {
    /// Its length at the last sync (or when it was first written).
    synced_len: u64,
    /// The bytes each write replaced, below `synced_len`, oldest first.
    undo: Vec<(u64, Vec<u8>)>,
}

#[derive(Default)]
struct State {
    watched: Vec<(PathBuf, Hook)>,
    files: HashMap<PathBuf, Unsynced>,
    /// Files synced through `durable::sync_data`: their length then.
    synced_lengths: HashMap<PathBuf, u64>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);
static INSTALL: Once = Once::new();

fn state() -> MutexGuard<'static, Option<State>> {
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts keeping undo records for the files in `dir` (a folder that exists),
/// calling `hook` after each change to one of them.
pub fn watch(dir: &Path, hook: Hook) {
    INSTALL.call_once(install);
    let dir = dir.canonicalize().expect("a watched folder exists");
    state()
        .get_or_insert_with(State::default)
        .watched
        .push((dir, hook));
}

/// Stops watching `dir` and forgets its files' records.
pub fn unwatch(dir: &Path) {
    let dir = dir.canonicalize().expect("a watched folder exists");
    if let Some(state) = state().as_mut() {
        state.watched.retain(|(d, _)| *d != dir);
        state.files.retain(|path, _| !path.starts_with(&dir));
        state
            .synced_lengths
            .retain(|path, _| !path.starts_with(&dir));
    }
}

/// Hears that `path` was synced at `length`.
pub fn synced(path: &Path, length: u64) {
    let Some(path) = canonical(path) else { return };
    if let Some(state) = state().as_mut()
        && state.watched.iter().any(|(dir, _)| path.starts_with(dir))
    {
        state.synced_lengths.insert(path, length);
    }
}

/// The length of `path` when it was last synced through
/// `durable::sync_data`; 0 if never, while watched.
pub fn synced_length(path: &Path) -> u64 {
    let path = canonical(path);
    let guard = state();
    path.and_then(|p| guard.as_ref()?.synced_lengths.get(&p).copied())
        .unwrap_or(0)
}

fn canonical(path: &Path) -> Option<PathBuf> {
    Some(path.parent()?.canonicalize().ok()?.join(path.file_name()?))
}

/// `path` as a power loss now would leave it: `None` if it does not exist.
/// Call it between SQLite's calls (from the hook, or with no statement
/// running), so that no write is half done.
pub fn after_power_loss(path: &Path) -> Option<Vec<u8>> {
    let path = canonical(path)?;
    let guard = state();
    let mut bytes = std::fs::read(&path).ok()?;
    if let Some(unsynced) = guard.as_ref().and_then(|s| s.files.get(&path)) {
        for (offset, old) in unsynced.undo.iter().rev() {
            let start = *offset as usize;
            let end = start + old.len();
            if bytes.len() < end {
                bytes.resize(end, 0);
            }
            bytes[start..end].copy_from_slice(old);
        }
        bytes.resize(unsynced.synced_len as usize, 0);
    }
    Some(bytes)
}

/// The hook for `path` if it is in a watched folder.
fn hook_for(path: &Path) -> Option<Hook> {
    let guard = state();
    let state = guard.as_ref()?;
    state
        .watched
        .iter()
        .find(|(dir, _)| path.starts_with(dir))
        .map(|(_, hook)| hook.clone())
}

/// Our part of a file SQLite opens through this VFS; the platform VFS's
/// own file follows it in the same allocation.
#[repr(C)]
struct ShimFile {
    base: ffi::sqlite3_file,
    inner: *mut ffi::sqlite3_file,
    /// Set for a watched file: owned (`Box::into_raw`), freed on close.
    path: *mut PathBuf,
}

/// The platform's VFS, kept in our VFS's `pAppData`.
fn platform(vfs: *mut ffi::sqlite3_vfs) -> *mut ffi::sqlite3_vfs {
    // SAFETY: `vfs` is ours, made in `install` with `pAppData` set.
    unsafe { (*vfs).pAppData.cast() }
}

fn install() {
    // SAFETY: SQLite's documented way to add a VFS: the platform VFS is
    // copied, and the copy lives for the rest of the process.
    unsafe {
        let platform = ffi::sqlite3_vfs_find(std::ptr::null());
        assert!(!platform.is_null(), "SQLite has a default VFS");
        let mut vfs: ffi::sqlite3_vfs = std::ptr::read(platform);
        vfs.szOsFile = (std::mem::size_of::<ShimFile>() as c_int) + (*platform).szOsFile;
        vfs.zName = c"power-cut".as_ptr();
        vfs.pAppData = platform.cast();
        vfs.pNext = std::ptr::null_mut();
        vfs.xOpen = Some(open);
        vfs.xDelete = Some(delete);
        let vfs = Box::leak(Box::new(vfs));
        let rc = ffi::sqlite3_vfs_register(vfs, 1);
        assert_eq!(rc, ffi::SQLITE_OK, "registers the VFS");
    }
}

unsafe extern "C" fn open(
    vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    // SAFETY: SQLite gives `szOsFile` bytes at `file`; the platform's file
    // goes after ours.
    unsafe {
        let shim = file.cast::<ShimFile>();
        let inner = file
            .cast::<u8>()
            .add(std::mem::size_of::<ShimFile>())
            .cast::<ffi::sqlite3_file>();
        (*shim).base.pMethods = std::ptr::null();
        let platform = platform(vfs);
        let rc = ((*platform).xOpen.expect("xOpen"))(platform, name, inner, flags, out_flags);
        if rc != ffi::SQLITE_OK || (*inner).pMethods.is_null() {
            return rc;
        }
        (*shim).inner = inner;
        (*shim).path = std::ptr::null_mut();
        if !name.is_null()
            && let Ok(name) = CStr::from_ptr(name).to_str()
        {
            let path = PathBuf::from(name);
            if hook_for(&path).is_some() {
                (*shim).path = Box::into_raw(Box::new(path));
            }
        }
        (*shim).base.pMethods = &METHODS;
        rc
    }
}

unsafe extern "C" fn delete(
    vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    dir_sync: c_int,
) -> c_int {
    // SAFETY: forwarded as given.
    unsafe {
        if !name.is_null()
            && let Ok(name) = CStr::from_ptr(name).to_str()
            && let Some(state) = state().as_mut()
        {
            state.files.remove(Path::new(name));
        }
        let platform = platform(vfs);
        ((*platform).xDelete.expect("xDelete"))(platform, name, dir_sync)
    }
}

/// The platform's file and its methods.
unsafe fn inner(
    file: *mut ffi::sqlite3_file,
) -> (*mut ffi::sqlite3_file, &'static ffi::sqlite3_io_methods) {
    // SAFETY: `file` was opened by `open`, which set `inner`.
    unsafe {
        let inner = (*file.cast::<ShimFile>()).inner;
        (inner, &*(*inner).pMethods)
    }
}

unsafe fn watched_path(file: *mut ffi::sqlite3_file) -> Option<&'static PathBuf> {
    // SAFETY: `path` is null or owned by the open file.
    unsafe { (*file.cast::<ShimFile>()).path.as_ref() }
}

fn size_of(file: *mut ffi::sqlite3_file) -> u64 {
    let mut size: ffi::sqlite3_int64 = 0;
    // SAFETY: an open file.
    unsafe {
        let (inner, methods) = inner(file);
        (methods.xFileSize.expect("xFileSize"))(inner, &mut size);
    }
    size as u64
}

fn read_at(file: *mut ffi::sqlite3_file, offset: u64, len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    // SAFETY: an open file, and a buffer of `len` bytes. A short read fills
    // the rest with zeros, which is what the file held there.
    unsafe {
        let (inner, methods) = inner(file);
        (methods.xRead.expect("xRead"))(
            inner,
            bytes.as_mut_ptr().cast(),
            len as c_int,
            offset as i64,
        );
    }
    bytes
}

/// Records what is about to be overwritten in `[from, to)` of `file`.
fn remember(file: *mut ffi::sqlite3_file, path: &Path, from: u64, to: u64) {
    let current = size_of(file);
    let mut guard = state();
    let Some(state) = guard.as_mut() else { return };
    let unsynced = state.files.entry(path.to_owned()).or_insert(Unsynced {
        synced_len: current,
        undo: Vec::new(),
    });
    let to = to.min(unsynced.synced_len);
    if from < to {
        unsynced
            .undo
            .push((from, read_at(file, from, (to - from) as usize)));
    }
}

fn call_hook(path: &Path) {
    if let Some(hook) = hook_for(path) {
        hook();
    }
}

unsafe extern "C" fn write(
    file: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amount: c_int,
    offset: ffi::sqlite3_int64,
) -> c_int {
    // SAFETY: forwarded as given.
    unsafe {
        let path = watched_path(file);
        if let Some(path) = path {
            remember(file, path, offset as u64, offset as u64 + amount as u64);
        }
        let (inner, methods) = inner(file);
        let rc = (methods.xWrite.expect("xWrite"))(inner, buf, amount, offset);
        if let Some(path) = path {
            call_hook(path);
        }
        rc
    }
}

unsafe extern "C" fn truncate(file: *mut ffi::sqlite3_file, size: ffi::sqlite3_int64) -> c_int {
    // SAFETY: forwarded as given.
    unsafe {
        let path = watched_path(file);
        if let Some(path) = path {
            remember(file, path, size as u64, size_of(file));
        }
        let (inner, methods) = inner(file);
        let rc = (methods.xTruncate.expect("xTruncate"))(inner, size);
        if let Some(path) = path {
            call_hook(path);
        }
        rc
    }
}

unsafe extern "C" fn sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    // SAFETY: forwarded as given.
    unsafe {
        let (inner, methods) = inner(file);
        let rc = (methods.xSync.expect("xSync"))(inner, flags);
        if rc == ffi::SQLITE_OK
            && let Some(path) = watched_path(file)
        {
            if let Some(state) = state().as_mut() {
                state.files.remove(path);
            }
            call_hook(path);
        }
        rc
    }
}

unsafe extern "C" fn close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: forwarded; the path is ours to free. Unsynced writes stay
    // recorded: closing a file does not sync it.
    unsafe {
        let shim = file.cast::<ShimFile>();
        if !(*shim).path.is_null() {
            drop(Box::from_raw((*shim).path));
            (*shim).path = std::ptr::null_mut();
        }
        let (inner, methods) = inner(file);
        (methods.xClose.expect("xClose"))(inner)
    }
}

/// Forwards a method unchanged to the platform's file.
macro_rules! forward {
    ($name:ident, $field:ident, ($($arg:ident: $ty:ty),*) -> $ret:ty, $missing:expr) => {
        unsafe extern "C" fn $name(file: *mut ffi::sqlite3_file $(, $arg: $ty)*) -> $ret {
            // SAFETY: forwarded as given.
            unsafe {
                let (inner, methods) = inner(file);
                match methods.$field {
                    Some(method) => method(inner $(, $arg)*),
                    None => $missing,
                }
            }
        }
    };
}

forward!(read, xRead, (buf: *mut c_void, amount: c_int, offset: i64) -> c_int, ffi::SQLITE_IOERR);
forward!(file_size, xFileSize, (size: *mut i64) -> c_int, ffi::SQLITE_IOERR);
forward!(lock, xLock, (level: c_int) -> c_int, ffi::SQLITE_IOERR);
forward!(unlock, xUnlock, (level: c_int) -> c_int, ffi::SQLITE_IOERR);
forward!(check_reserved_lock, xCheckReservedLock, (out: *mut c_int) -> c_int, ffi::SQLITE_IOERR);
forward!(file_control, xFileControl, (op: c_int, arg: *mut c_void) -> c_int, ffi::SQLITE_NOTFOUND);
forward!(sector_size, xSectorSize, () -> c_int, 4096);
forward!(device_characteristics, xDeviceCharacteristics, () -> c_int, 0);
forward!(shm_map, xShmMap, (page: c_int, size: c_int, extend: c_int, out: *mut *mut c_void) -> c_int, ffi::SQLITE_IOERR);
forward!(shm_lock, xShmLock, (offset: c_int, n: c_int, flags: c_int) -> c_int, ffi::SQLITE_IOERR);
forward!(shm_unmap, xShmUnmap, (delete: c_int) -> c_int, ffi::SQLITE_OK);
forward!(fetch, xFetch, (offset: i64, amount: c_int, out: *mut *mut c_void) -> c_int, {
    *out = std::ptr::null_mut();
    ffi::SQLITE_OK
});
forward!(unfetch, xUnfetch, (offset: i64, page: *mut c_void) -> c_int, ffi::SQLITE_OK);

unsafe extern "C" fn shm_barrier(file: *mut ffi::sqlite3_file) {
    // SAFETY: forwarded as given.
    unsafe {
        let (inner, methods) = inner(file);
        if let Some(method) = methods.xShmBarrier {
            method(inner);
        }
    }
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: Some(shm_map),
    xShmLock: Some(shm_lock),
    xShmBarrier: Some(shm_barrier),
    xShmUnmap: Some(shm_unmap),
    xFetch: Some(fetch),
    xUnfetch: Some(unfetch),
};
