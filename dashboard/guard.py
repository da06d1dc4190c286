"""A failure in one view is said in that view: the page, the model and the other views stay as they
are. Views are drawn inside `guarded` in a full run (dashboard.main); a fragment's rerun runs the
fragment alone, outside it, so fragments wrap their own body with `guarded_fragment`."""
from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st


def guarded(name: str, draw: Callable[[], None]) -> None:
    """Draw one view; an exception there becomes a message there (never a traceback)."""
    try:
        draw()
    except Exception as exc:  # a view's bug must not blank the page; st.rerun/st.stop are not Exceptions
        st.error(f"The {name} view failed ({type(exc).__name__}: {exc}). The model and the other views are "
                 "unaffected; please report this.")


def guarded_fragment(name: str) -> Callable:
    """For a fragment's body, under @st.fragment: its reruns are guarded too."""

    def wrap(body: Callable) -> Callable:
        @functools.wraps(body)
        def run(*args, **kwargs) -> None:
            guarded(name, lambda: body(*args, **kwargs))

        return run

    return wrap
