//! The trace id in the browser (web/src/trace-id.ts loads it): `yilian-trace-id` behind a C ABI
//! over linear memory, with no allocation and no JS glue. The caller writes the code's text into
//! `code_buffer()`, calls `trace_id(len)` and reads the 32 id bytes at `id_buffer()`; the input
//! buffer is zeroed before `trace_id` returns, so the secret does not linger in the module's
//! memory. Statuses are the C ABI's (docs/formats.md § C ABI).

use core::ptr::{addr_of, addr_of_mut};

use yilian_trace_id::{id, id_bytes, parse, ParseError, ID_BYTES};

/// Room for the printed form (35 characters) and then some; normalised text is 32.
pub const CODE_TEXT_MAX: usize = 64;

const OK: u32 = 0;
const BAD_LENGTH: u32 = 1;
const BAD_TRACE_CODE: u32 = 2;

// The module is single-threaded and its exports do not re-enter, so these are never aliased.
static mut CODE: [u8; CODE_TEXT_MAX] = [0; CODE_TEXT_MAX];
static mut ID: [u8; ID_BYTES] = [0; ID_BYTES];

#[no_mangle]
pub extern "C" fn code_buffer() -> *mut u8 {
    addr_of_mut!(CODE).cast()
}

#[no_mangle]
pub extern "C" fn code_buffer_len() -> usize {
    CODE_TEXT_MAX
}

#[no_mangle]
pub extern "C" fn id_buffer() -> *const u8 {
    addr_of!(ID).cast()
}

/// 0 with the id written, 1 if `len` exceeds the buffer, 2 if the text is not a trace code (the
/// reason is deliberately not returned: the page names it from its own stricter parse).
#[no_mangle]
pub extern "C" fn trace_id(len: usize) -> u32 {
    if len > CODE_TEXT_MAX {
        return BAD_LENGTH;
    }
    // SAFETY: single-threaded, no other borrow of CODE or ID is alive (see the statics above).
    let code = unsafe { &mut *addr_of_mut!(CODE) };
    let parsed: Result<_, ParseError> = parse(&code[..len]);
    code.fill(0);
    match parsed {
        Ok(bytes) => {
            unsafe { *addr_of_mut!(ID) = id_bytes(&id(&bytes)) };
            OK
        }
        Err(_) => BAD_TRACE_CODE,
    }
}
