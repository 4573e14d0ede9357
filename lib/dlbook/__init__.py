"""dlbook: the tested helpers behind the executable deep-learning book.

Each lesson's real logic lives in one module here (``dlbook.perceptron``,
``dlbook.tokenization``, ``dlbook.diffusion``, ...); notebooks narrate, call,
plot and assert. Shared modules: ``widgets`` (static and live views),
``plotting`` (book style), ``seeding`` and ``source`` (show code in a lesson).
"""

__version__ = "0.1.0"
