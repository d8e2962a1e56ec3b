//! Transactional messages: the producer's decision on a half message (END_TRANSACTION) and the
//! admin's "check this one again" (RESUME_CHECK_HALF_MESSAGE). The half-message send itself is
//! in `send::send_message`; the check service in `broker::transaction`.

pub mod end_transaction;
pub mod resume_check_half_message;
