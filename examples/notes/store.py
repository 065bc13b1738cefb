"""An in-memory notes store: notebooks, their notes, and one resource policy per notebook."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Notebook:
    """A named notebook; `policy` is its resource-based policy (JSON object), if any."""

    name: str
    notes: dict[str, str] = field(default_factory=dict)
    policy: dict | None = None


class NotesStore:
    """Notebooks by name, safe to share between the server's threads."""

    def __init__(self) -> None:
        self._notebooks: dict[str, Notebook] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Notebook | None:
        """The notebook, or None."""
        return self._notebooks.get(name)

    def policy(self, name: str) -> dict | None:
        """The notebook's resource policy, or None (no notebook or no policy)."""
        notebook = self._notebooks.get(name)
        return notebook.policy if notebook else None

    def create(self, name: str) -> bool:
        """Create an empty notebook; False when it exists already."""
        with self._lock:
            if name in self._notebooks:
                return False
            self._notebooks[name] = Notebook(name)
            return True

    def set_policy(self, name: str, policy: dict | None) -> None:
        """Replace (or with None remove) the notebook's resource policy."""
        with self._lock:
            self._notebooks[name].policy = policy

    def put_note(self, notebook: str, note: str, text: str) -> None:
        """Create or replace a note."""
        with self._lock:
            self._notebooks[notebook].notes[note] = text

    def delete_note(self, notebook: str, note: str) -> bool:
        """Delete a note; False when there was none."""
        with self._lock:
            return self._notebooks[notebook].notes.pop(note, None) is not None
