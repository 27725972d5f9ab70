#pragma once
// Signal handling for long runs (GROMACS-style; README.md, "Run directories and configs"): handlers only set atomic
// flags; loops poll them at step boundaries. USR1 = checkpoint and go on; TERM or INT =
// checkpoint and stop; a second TERM or INT = stop at once.

namespace curvtrack::core {

/// Installs the handlers for SIGUSR1, SIGTERM and SIGINT (idempotent).
void install_signal_handlers();

/// True once per SIGUSR1: the caller should write a checkpoint now.
bool take_checkpoint_request();

/// True after SIGTERM or SIGINT: the caller should checkpoint and exit with kPreempted.
bool stop_requested();

/// Declares whether a resumable checkpoint exists; a second TERM exits with 75 if so, else 1.
void set_resumable(bool resumable);

/// Clears all flags (for tests).
void reset_signal_flags();

}  // namespace curvtrack::core
