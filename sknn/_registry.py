"""A tiny name -> implementation table shared by every concept module."""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Named implementations of one concept (activations, losses, ...).

    Estimators derive their parameter validation from :meth:`names`, so a new
    entry becomes a valid constructor value without touching any estimator.

    Parameters
    ----------
    kind : str
        What the entries are, used in error messages ("activation").

    Examples
    --------
    >>> reg = Registry("colour")
    >>> _ = reg.register("red", "rouge")(object())
    >>> reg.names()
    ['red']
    >>> reg.get("rouge") is reg.get("red")
    True
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, *aliases: str):
        """Return a decorator that stores its argument under ``name``."""

        def add(entry: T) -> T:
            for key in (name, *aliases):
                if key in self._entries or key in self._aliases:
                    raise ValueError(f"{self.kind} {key!r} is already registered")
            self._entries[name] = entry
            self._aliases.update({alias: name for alias in aliases})
            return entry

        return add

    def unregister(self, name: str) -> None:
        """Remove the entry ``name`` and its aliases (user-registered entries, see
        :func:`sknn.unregister`)."""
        if name not in self._entries:
            raise ValueError(f"{self.kind} {name!r} is not registered")
        del self._entries[name]
        self._aliases = {alias: key for alias, key in self._aliases.items() if key != name}

    def get(self, name_or_obj):
        """Look an entry up by name or alias; non-strings pass through."""
        if not isinstance(name_or_obj, str):
            return name_or_obj
        key = self._aliases.get(name_or_obj, name_or_obj)
        try:
            return self._entries[key]
        except KeyError:
            raise ValueError(
                f"Unknown {self.kind} {name_or_obj!r}. "
                f"Valid choices are: {', '.join(sorted(self.all_names()))}."
            ) from None

    def names(self) -> list[str]:
        """Canonical names, sorted."""
        return sorted(self._entries)

    def all_names(self) -> list[str]:
        """Canonical names and aliases, sorted."""
        return sorted([*self._entries, *self._aliases])

    def __contains__(self, name) -> bool:
        return name in self._entries or name in self._aliases
