"""Build the optional C fast paths (partition hashing, the identical-subscription sticky
core); everything else lives in pyproject.toml.

If the compiler is missing, the package still installs and uses the pure-Python twins.
"""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """Build extensions when possible; fall back to pure Python when not."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any build failure means "use the fallback"
            print(f"warning: C extensions not built ({exc}); using pure Python")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            print(f"warning: {ext.name} not built ({exc}); using pure Python")


setup(
    ext_modules=[
        Extension("partitioning._hashext", ["partitioning/_hashext.c"], extra_compile_args=["-O3"]),
        Extension("strategies._stickyext", ["strategies/_stickyext.c"], extra_compile_args=["-O3"]),
    ],
    cmdclass={"build_ext": OptionalBuildExt},
)
