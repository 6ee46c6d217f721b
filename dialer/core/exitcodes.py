"""Exit statuses of every dialer command; `dialer run --help` and the README's table are written from
this."""

from __future__ import annotations

OK = 0  # finished: every row placed (suppressed duplicates and do-not-call rows aside)
BAD_INPUT = 2  # the campaign, list, flags or credentials are unusable; nothing was dialed
ACCOUNT_REFUSED = 3  # the switch answered 401 or 402: the run stopped at once
NEEDS_ATTENTION = 4  # finished, but some rows are rejected, failed or unknown
ALREADY_RUNNING = 5  # another run holds this campaign's lock; nothing was dialed
STOPPED = 6  # stopped by a signal; run the same command again to carry on
WINDOW_CLOSED = 7  # the calling window is closed (or no row can be dialed before it closes)
RESULTS_UNWRITABLE = 8  # the results file unwritable, unreadable, moved, cut short or gone backwards
TIME_LIMIT = 9  # --until or --max-duration reached; run again to carry on
RECYCLE_LATER = 10  # nothing left but people to call again later ([recycle]); run again then

# One line each, as an operator reads them in `dialer run --help`, the "run ended" line and the
# README; at most 70 characters, so that the help's table (shown as it is, never folded) fits 80
# columns.
DESCRIPTIONS = {
    OK: "finished: every row placed (duplicates, do-not-call rows suppressed)",
    BAD_INPUT: "bad input (campaign, list, flags or credentials); nothing dialed",
    ACCOUNT_REFUSED: "the switch refused the account (401/402); the run stopped at once",
    NEEDS_ATTENTION: "finished; some rows rejected, failed or unknown: see `dialer status`",
    ALREADY_RUNNING: "another run holds this results file (any path or link); nothing dialed",
    STOPPED: "stopped (Ctrl-C, SIGTERM); run the same command again to carry on",
    WINDOW_CLOSED: "window closed (or it closes before a row can be dialed); resumable",
    RESULTS_UNWRITABLE: "results file unwritable, moved, cut or gone back; resumable once fixed",
    TIME_LIMIT: "--until or --max-duration reached; resumable",
    RECYCLE_LATER: "nothing left but calls to make later ([recycle]); run again then",
}
