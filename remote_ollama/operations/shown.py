"""A shell command whose outcome the deploy puts in its own words.

pyinfra 3.10 shows a command's output only with ``-v`` (or all of it, after a failure),
and an ignored failure as "Error (ignored): executed 0 commands". For a long pull and for
a check that only warns, that says too little or nothing the user can act on. What
pyinfra can do for a command that runs long: print each output line as it arrives, with
the host's prefix (``print_output``, what ``-v`` turns on for every command). A
ShownCommand asks for that for itself alone, and words its failure itself.
"""

from __future__ import annotations

from collections.abc import Callable

from pyinfra import logger
from pyinfra.api.command import StringCommand
from pyinfra.connectors.util import CommandOutput


class ShownCommand(StringCommand):
    """A shell command run like any other, except that:

    + live: its output lines are printed as they arrive, even without ``-v``
    + explain: ``explain(output) -> lines`` to print when it fails (or runs out of time)
    + warn_only: a failure prints those lines as a warning and the operation succeeds;
      otherwise they are printed as an error and the operation fails
    + timeout: seconds after which pyinfra stops waiting (a backstop: the tools we run
      have their own, shorter deadlines)

    Example:

    .. code:: python

        yield ShownCommand("python3 warm.py --no-load llama3", live=True,
                           explain=lambda output: output.stderr_lines[-3:])
    """

    def __init__(
        self,
        command: str,
        *,
        explain: Callable[[CommandOutput], list[str]],
        live: bool = False,
        warn_only: bool = False,
        timeout: int | None = None,
    ):
        super().__init__(command)
        self.explain, self.live, self.warn_only, self.timeout = explain, live, warn_only, timeout

    def execute(self, state, host, connector_arguments):
        arguments = {**connector_arguments, **self.connector_arguments}
        if self.timeout and not arguments.get("_timeout"):
            arguments["_timeout"] = self.timeout
        try:
            status, output = host.run_shell_command(
                self,
                print_output=self.live or state.print_output,
                print_input=state.print_input,
                **arguments,
            )
        except TimeoutError:
            status, output = False, CommandOutput([])
            lines = [f"gave no result within {arguments.get('_timeout')}s; stopped waiting"]
        else:
            lines = [] if status else self.explain(output)
        if status:
            return status, output
        for line in lines:
            host.log_styled(
                line,
                fg="yellow" if self.warn_only else "red",
                log_func=logger.warning if self.warn_only else logger.error,
            )
        # Said already, in our words: pyinfra is not to print the raw output again.
        return self.warn_only, CommandOutput([])
