"""Commands kept in their own modules: each module here defines ``command`` (a click command)
and is registered on the ``cmops`` group by :func:`cmops.cli._register_commands`."""
