"""Errors a user can fix: the command line prints their one-line message and exits 2."""


class UserError(Exception):
    """Bad input (scene file, flag, path); the message names what is wrong."""


class SceneError(UserError):
    """A scene file that cannot be used; the message names the file and the key."""
